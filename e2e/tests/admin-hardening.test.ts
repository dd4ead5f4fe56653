// The admin plane against an attacker and a careless edit: secrets never shown or stored (traces,
// config, versions, diffs), the session cookie only from the proxy's own origin and only with JSON,
// slow clients cut and connections per address capped, config writes that keep the operator's
// file, and admin changes refused when they are a mistake or touch a protected model.

import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, sleep, startProxy, startUpstream } from "../lib/harness.js";

const ADMIN = "admin-hardening-pw";
const bearer = { authorization: `Bearer ${ADMIN}` };

async function adminGet<T>(p: RunningProxy, path: string): Promise<T> {
  const res = await fetch(`${p.url}${path}`, { headers: bearer });
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

function adminSend(p: RunningProxy, method: string, path: string, body?: unknown): Promise<Response> {
  if (body === undefined) return fetch(`${p.url}${path}`, { method, headers: bearer });
  return fetch(`${p.url}${path}`, { method, headers: { ...bearer, "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function login(p: RunningProxy): Promise<string> {
  const res = await fetch(`${p.url}/admin/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: ADMIN }),
  });
  expect(res.status).toBe(200);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

function configDir(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "yallmp-admin-"));
  writeFileSync(join(dir, "config.yaml"), yaml);
  return dir;
}

describe("secrets in admin views", () => {
  const TEAM_KEY = "team-secret-9f8e7d6c5b";
  const UPSTREAM_TOKEN = "sk-upstream-header-4a3b2c1d";
  const yaml = `model_list:
  - model_name: echo
    model_params:
      api_type: mock
      headers: { authorization: "Bearer ${UPSTREAM_TOKEN}", x-title: demo }
app_keys:
  enabled: true
  header_name: x-team-key
  keys:
    - key_id: team
      secret: ${TEAM_KEY}
proxy_settings:
  traces: { capture: full }
`;
  let p: RunningProxy;
  beforeAll(async () => {
    const dir = configDir(yaml);
    p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: join(dir, "config.yaml") });
  });
  afterAll(async () => p.close());

  it("never stores a key sent in the configured header (x-team-key), not even echoed in the body or the stream", async () => {
    const res = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-team-key": TEAM_KEY, "x-session-token": "session-token-77665544" },
      body: JSON.stringify({
        model: "echo",
        stream: true,
        api_key: "body-key-11223344",
        messages: [{ role: "user", content: `my key is ${TEAM_KEY} and session-token-77665544` }],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(TEAM_KEY);
    const list = await adminGet<{ data: Array<{ id: string }> }>(p, "/admin/traces?model=echo");
    const trace = await adminGet<{ clientRequest: { headers: Record<string, unknown>; body: Record<string, unknown> }; clientEvents: unknown[] }>(
      p,
      `/admin/traces/${list.data[0]!.id}`,
    );
    expect(trace.clientRequest.headers["x-team-key"]).toBe("[redacted]");
    expect(trace.clientRequest.headers["x-session-token"]).toBe("[redacted]");
    expect(trace.clientRequest.body.api_key).toBe("[redacted]");
    expect(trace.clientEvents.length).toBeGreaterThan(0);
    const stored = JSON.stringify(trace);
    for (const secret of [TEAM_KEY, "session-token-77665544", "body-key-11223344", UPSTREAM_TOKEN]) expect(stored).not.toContain(secret);
    expect(p.logText()).not.toContain(TEAM_KEY);
  });

  it("masks model_params.headers values in GET /admin/config, its versions and diffs, and keeps them on save", async () => {
    const cfg = await adminGet<{ yaml: string }>(p, "/admin/config");
    expect(cfg.yaml).not.toContain(UPSTREAM_TOKEN);
    expect(cfg.yaml).not.toContain(TEAM_KEY);
    expect(cfg.yaml).toContain('headers: { authorization: "***", x-title: "***" }');
    const put = await adminSend(p, "PUT", "/admin/config", { yaml: `${cfg.yaml}\n# edited\n` });
    expect(put.status).toBe(200);
    const { version } = (await put.json()) as { version: number };
    for (const v of [version - 1, version]) {
      const body = JSON.stringify(await adminGet<{ yaml: string; diff: string }>(p, `/admin/config/versions/${v}`));
      expect(body).not.toContain(UPSTREAM_TOKEN);
      expect(body).not.toContain(TEAM_KEY);
    }
    expect(JSON.stringify(await adminGet(p, "/admin/models"))).not.toContain(UPSTREAM_TOKEN);
    // The masked values were put back: the key still works, the header is still configured.
    const after = await adminGet<{ yaml: string }>(p, "/admin/config");
    expect(after.yaml).toContain("# edited");
    const chat = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-team-key": TEAM_KEY },
      body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(200);
  });

  it('refuses a masked secret that moved (a renamed model) instead of saving "***" as its value', async () => {
    const cfg = await adminGet<{ yaml: string }>(p, "/admin/config");
    const res = await adminSend(p, "PUT", "/admin/config", { yaml: cfg.yaml.replace("model_name: echo", "model_name: echo2") });
    expect(res.status).toBe(400);
    const { errors } = (await res.json()) as { errors: Array<{ path: string; line?: number }> };
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ["model_list[0].model_params.headers.authorization", 5],
      ["model_list[0].model_params.headers.x-title", 5],
    ]);
  });
});

describe("admin CSRF and origin", () => {
  let p: RunningProxy;
  beforeAll(async () => {
    const yaml =
      'model_list:\n  - model_name: m\n    model_params: { api_type: mock }\napp_keys:\n  enabled: false\n  keys: []\nproxy_settings:\n  server: { admin_origins: ["https://Dash.example"] }\n';
    const dir = configDir(yaml);
    p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: join(dir, "config.yaml") });
  });
  afterAll(async () => p.close());

  it("refuses a text/plain POST /admin/keys with the cookie (415, nothing created)", async () => {
    const cookie = await login(p);
    const res = await fetch(`${p.url}/admin/keys`, {
      method: "POST",
      headers: { cookie, "content-type": "text/plain" },
      body: JSON.stringify({ key_id: "csrf" }),
    });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string } };
    expect(body.error).toMatchObject({ code: "unsupported_media_type", type: "invalid_request_error", param: "content-type" });
    const form = await fetch(`${p.url}/admin/keys`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: "key_id=csrf",
    });
    expect(form.status).toBe(415);
    expect((await adminGet<{ data: unknown[] }>(p, "/admin/keys")).data).toEqual([]);
  });

  it("accepts the cookie only from the proxy's own origin (or one the config allows)", async () => {
    const cookie = await login(p);
    const send = (origin: string | undefined, keyId: string) =>
      fetch(`${p.url}/admin/keys`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", ...(origin ? { origin } : {}) },
        body: JSON.stringify({ key_id: keyId }),
      });
    const evil = await send("http://evil.example", "from-evil");
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe("admin_origin_refused");
    expect((await fetch(`${p.url}/admin/session`, { headers: { cookie, origin: "http://evil.example" } })).status).toBe(403);
    expect((await send(p.url, "from-self")).status).toBe(200);
    expect((await send("https://dash.example", "from-allowed")).status).toBe(200);
    expect((await send("https://dash.example.evil", "from-lookalike")).status).toBe(403);
    expect((await adminGet<{ data: Array<{ keyId: string }> }>(p, "/admin/keys")).data.map((k) => k.keyId)).toEqual(["from-self", "from-allowed"]);
  });

  it("refuses Origin: http://evil.example on /admin/ws, and accepts the proxy's own", async () => {
    const cookie = await login(p);
    const url = `${p.url.replace("http", "ws")}/admin/ws`;
    const outcome = (headers: Record<string, string>, path = url) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(path, { headers });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => {
          ws.close();
          resolve(101);
        });
      });
    expect(await outcome({ cookie, origin: "http://evil.example" })).toBe(403);
    expect(await outcome({ cookie, origin: p.url })).toBe(101);
    expect(await outcome({}, `${url}?token=${ADMIN}`)).toBe(101);
    expect(await outcome({ origin: "http://evil.example" }, `${url}?token=${ADMIN}`)).toBe(403);
  });

  it("answers every admin write with 404 admin_disabled while no admin password is set, whatever its content type", async () => {
    const off = await startProxy("model_list: []\n");
    try {
      for (const type of ["text/plain", "application/json"]) {
        const res = await fetch(`${off.url}/admin/keys`, { method: "POST", headers: { "content-type": type }, body: "{}" });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("admin_disabled");
      }
    } finally {
      await off.close();
    }
  });

  it("accepts ?token= on the WebSocket only, not on REST", async () => {
    const res = await fetch(`${p.url}/admin/traces?token=${ADMIN}`);
    expect(res.status).toBe(401);
    expect((await fetch(`${p.url}/admin/config?token=${ADMIN}`)).status).toBe(401);
  });
});

describe("slow clients and connections per address", () => {
  let p: RunningProxy;
  let port: number;
  beforeAll(async () => {
    const yaml = `model_list:
  - model_name: slow-stream
    model_params: { api_type: mock, mock: { chunk_delay_ms: 400 } }
proxy_settings:
  server: { header_timeout_seconds: 1, body_timeout_seconds: 1.5, max_connections_per_ip: 3 }
`;
    p = await startProxy(yaml);
    port = Number(new URL(p.url).port);
  });
  afterAll(async () => p.close());

  const open = async (): Promise<{ socket: Socket; text: () => string; closed: Promise<number> }> => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString()));
    socket.on("error", () => undefined);
    const started = performance.now();
    const closed = once(socket, "close").then(() => performance.now() - started);
    await once(socket, "connect");
    return { socket, text: () => text, closed };
  };

  it("refuses the 4th connection from one address while 3 are open, and takes one again when one closes", async () => {
    const held = [await open(), await open(), await open()];
    await sleep(50);
    const extra = await open();
    const elapsed = await Promise.race([extra.closed, sleep(3000).then(() => -1)]);
    expect(elapsed).toBeGreaterThanOrEqual(0);
    expect(extra.text()).toMatch(/^HTTP\/1\.1 429/);
    expect(extra.text()).toContain('"code":"too_many_connections"');
    // The held connections still work.
    held[0]!.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    for (let i = 0; i < 40 && !held[0]!.text().includes("\r\n\r\n"); i++) await sleep(25);
    expect(held[0]!.text()).toMatch(/^HTTP\/1\.1 200/);
    held[2]!.socket.destroy();
    await held[2]!.closed;
    await sleep(50);
    const again = await open();
    again.socket.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    await Promise.race([again.closed, sleep(3000)]);
    expect(again.text()).toMatch(/^HTTP\/1\.1 200/);
    for (const c of held) c.socket.destroy();
  });

  it("cuts a client that sends its body a byte every half second, after the body timeout", async () => {
    const c = await open();
    c.socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n");
    const drip = setInterval(() => c.socket.writable && c.socket.write(" "), 500);
    const elapsed = await Promise.race([c.closed, sleep(6000).then(() => -1)]);
    clearInterval(drip);
    c.socket.destroy();
    expect(elapsed).toBeGreaterThan(1000);
    expect(elapsed).toBeLessThan(4000);
    expect(c.text()).toMatch(/^HTTP\/1\.1 408/);
  });

  it("answers a body that does not arrive in time in the route's wire format (Anthropic's on /v1/messages)", async () => {
    const slowBody = async (path: string) => {
      const c = await open();
      c.socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`);
      await Promise.race([c.closed, sleep(6000)]);
      c.socket.destroy();
      const [head = "", body = ""] = c.text().split("\r\n\r\n");
      return { head, body: JSON.parse(body) as Record<string, unknown> };
    };
    const [messages, chat, responses] = await Promise.all([slowBody("/v1/messages"), slowBody("/v1/chat/completions"), slowBody("/v1/responses")]);
    expect(messages.head).toMatch(/^HTTP\/1\.1 408/);
    expect(messages.body).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.any(String) } });
    for (const openai of [chat, responses]) {
      expect(openai.head).toMatch(/^HTTP\/1\.1 408/);
      expect(openai.body).toMatchObject({ error: { message: expect.any(String), code: "request_timeout" } });
    }
    // Those three connections are the address's cap; the proxy lets go of each within a second.
    await sleep(1100);
  });

  it("cuts a client that sends its headers a byte at a time, after the header timeout", async () => {
    const c = await open();
    const head = "GET /health HTTP/1.1\r\nHost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let i = 0;
    const drip = setInterval(() => c.socket.writable && i < head.length && c.socket.write(head[i++]!), 300);
    const elapsed = await Promise.race([c.closed, sleep(6000).then(() => -1)]);
    clearInterval(drip);
    c.socket.destroy();
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(4000);
  });

  it("closes a connection that sends nothing at all after the header timeout, and keeps a busy one", async () => {
    const silent = await open();
    const busy = await open();
    busy.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const elapsed = await Promise.race([silent.closed, sleep(4000).then(() => -1)]);
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(2500);
    expect(busy.socket.destroyed).toBe(false);
    busy.socket.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    await Promise.race([busy.closed, sleep(2000)]);
    expect(busy.text().match(/HTTP\/1\.1 200/g)).toHaveLength(2);
  });

  it("never cuts an answer that streams for longer than the timeouts", async () => {
    const started = performance.now();
    const res = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "slow-stream", stream: true, messages: [{ role: "user", content: "one two three four five six seven" }] }),
    });
    const text = await res.text();
    expect(performance.now() - started).toBeGreaterThan(2500);
    expect(text).toContain("data: [DONE]");
  });
});

describe("config writes keep the operator's file", () => {
  const original = `# Team config: edited by hand and through the admin API.

model_list:
  - model_name: fast          # the everyday model
    model_params: { api_type: mock, model: fast-1 }   # flow map, aligned comment

  # The careful one: low temperature.
  - model_name: careful
    model_params:
      api_type:   mock
      parameters:
        temperature: { default: 0.1, allow_override: false }

router_settings:
  fallbacks:
    - fast: [careful]       # flow list

app_keys:
  enabled: true
  keys:
    - { key_id: first, secret: first-secret-1234 }   # flow key
`;

  it("adds and removes a model and a key, leaving every comment, flow map and blank line; a generated secret goes to .env", async () => {
    const dir = configDir(original);
    const path = join(dir, "config.yaml");
    const p = await startProxy(original, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: path });
    try {
      expect((await adminSend(p, "POST", "/admin/models", { model_name: "added", extends: "fast" })).status).toBe(200);
      expect(readFileSync(path, "utf8")).toBe(
        original.replace("allow_override: false }\n", "allow_override: false }\n\n  - model_name: added\n    extends: fast\n"),
      );

      const added = await adminSend(p, "POST", "/admin/keys", { key_id: "ci-bot", concurrency_limit: 2 });
      expect(added.status).toBe(200);
      const { secret } = (await added.json()) as { secret: string };
      expect(secret).toMatch(/^sk-yallmp-/);
      const onDisk = readFileSync(path, "utf8");
      expect(onDisk).not.toContain(secret);
      expect(onDisk).toContain("    - key_id: ci-bot\n      concurrency_limit: 2\n      secret: ${YALLMP_KEY_CI_BOT}\n");
      expect(readFileSync(join(dir, ".env"), "utf8")).toBe(`YALLMP_KEY_CI_BOT=${secret}\n`);
      const chat = await fetch(`${p.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body: JSON.stringify({ model: "added", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(chat.status).toBe(200);
      const cfg = await adminGet<{ yaml: string }>(p, "/admin/config");
      expect(cfg.yaml).toContain("secret: ${YALLMP_KEY_CI_BOT}");
      expect(JSON.stringify(await adminGet(p, "/admin/config/versions/2"))).not.toContain(secret);

      expect((await adminSend(p, "DELETE", "/admin/keys/ci-bot")).status).toBe(200);
      expect((await adminSend(p, "DELETE", "/admin/models/added")).status).toBe(200);
      expect(readFileSync(path, "utf8")).toBe(original);
      expect(existsSync(join(dir, ".env")) ? readFileSync(join(dir, ".env"), "utf8") : "").not.toContain(secret);
      // A PUT of the masked config changes nothing either.
      const masked = await adminGet<{ yaml: string }>(p, "/admin/config");
      expect(masked.yaml).toBe(original.replace("first-secret-1234", '"***"'));
      expect((await adminSend(p, "PUT", "/admin/config", { yaml: masked.yaml })).status).toBe(200);
      expect(readFileSync(path, "utf8")).toBe(original);
    } finally {
      await p.close();
    }
  });
});

describe("a model's upstream secrets given through the admin API", () => {
  it("go to configs/.env as ${YALLMP_MODEL_<NAME>_…}, never into the config file; a ${VAR} is kept as written", async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "c1",
          object: "chat.completion",
          created: 1,
          model: "m",
          choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        }),
      );
    });
    const yaml = "model_list:\n  - model_name: fast\n    model_params: { api_type: mock }\n";
    const dir = configDir(yaml);
    const path = join(dir, "config.yaml");
    const p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN, OPS_TOKEN: "from-the-environment" }, { configPath: path });
    const chat = () =>
      fetch(`${p.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-team", messages: [{ role: "user", content: "hi" }] }),
      });
    const env = () => readFileSync(join(dir, ".env"), "utf8");
    try {
      const added = await adminSend(p, "POST", "/admin/models", {
        model_name: "gpt-team",
        model_params: {
          api_type: "openai",
          api_base: up.url,
          api_key: "sk-upstream-secret-1",
          headers: { "x-org-token": "org secret 2", "x-ops": "${OPS_TOKEN}" },
        },
      });
      expect(added.status).toBe(200);
      const onDisk = readFileSync(path, "utf8");
      expect(onDisk).not.toContain("sk-upstream-secret-1");
      expect(onDisk).not.toContain("org secret 2");
      expect(onDisk).toContain("api_key: ${YALLMP_MODEL_GPT_TEAM_API_KEY}");
      expect(onDisk).toContain("x-org-token: ${YALLMP_MODEL_GPT_TEAM_HEADER_X_ORG_TOKEN}");
      expect(onDisk).toContain("x-ops: ${OPS_TOKEN}");
      expect(env()).toBe('YALLMP_MODEL_GPT_TEAM_API_KEY=sk-upstream-secret-1\nYALLMP_MODEL_GPT_TEAM_HEADER_X_ORG_TOKEN="org secret 2"\n');
      expect(JSON.stringify(await adminGet(p, "/admin/config/versions/2"))).not.toContain("sk-upstream-secret-1");
      expect((await chat()).status).toBe(200);
      expect(up.requests.at(-1)?.headers).toMatchObject({
        authorization: "Bearer sk-upstream-secret-1",
        "x-org-token": "org secret 2",
        "x-ops": "from-the-environment",
      });

      // A new api_key keeps its variable; a header no longer sent leaves .env.
      const updated = await adminSend(p, "PUT", "/admin/models/gpt-team", {
        model_params: { api_type: "openai", api_base: up.url, api_key: "sk-upstream-secret-3" },
      });
      expect(updated.status).toBe(200);
      expect(readFileSync(path, "utf8")).not.toContain("sk-upstream-secret-3");
      expect(readFileSync(path, "utf8")).toContain("api_key: ${YALLMP_MODEL_GPT_TEAM_API_KEY}");
      expect(env()).toBe("YALLMP_MODEL_GPT_TEAM_API_KEY=sk-upstream-secret-3\n");
      expect((await chat()).status).toBe(200);
      expect(up.requests.at(-1)?.headers.authorization).toBe("Bearer sk-upstream-secret-3");
      // The masked value from GET /admin/config sent back changes nothing.
      const masked = await adminSend(p, "PUT", "/admin/models/gpt-team", { model_params: { api_type: "openai", api_base: up.url, api_key: "***" } });
      expect(masked.status).toBe(200);
      expect(readFileSync(path, "utf8")).toContain("api_key: ${YALLMP_MODEL_GPT_TEAM_API_KEY}");
      expect(env()).toBe("YALLMP_MODEL_GPT_TEAM_API_KEY=sk-upstream-secret-3\n");
      expect((await chat()).status).toBe(200);
      expect(up.requests.at(-1)?.headers.authorization).toBe("Bearer sk-upstream-secret-3");

      expect((await adminSend(p, "DELETE", "/admin/models/gpt-team")).status).toBe(200);
      expect(readFileSync(path, "utf8")).toBe(yaml);
      expect(env()).toBe("");
    } finally {
      await p.close();
      await up.close();
    }
  });
});

describe("admin changes: mistakes and protected models are refused", () => {
  const yaml = `model_list:
  - model_name: locked
    protected: true
    model_params: { api_type: mock, mock: { reply: "locked" } }
  - model_name: open
    model_params: { api_type: mock }
  - model_name: legacy
    model_params: { api_type: gigachat }
`;
  let p: RunningProxy;
  let path: string;
  beforeAll(async () => {
    const dir = configDir(yaml);
    path = join(dir, "config.yaml");
    p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: path });
  });
  afterAll(async () => p.close());

  const errorsOf = async (res: Response) => ((await res.json()) as { errors: Array<{ path: string; message: string; line?: number }> }).errors;

  it("refuses a typo'd api_type with a 400 naming its path, through /admin/models and PUT /admin/config", async () => {
    const res = await adminSend(p, "POST", "/admin/models", { model_name: "typo", model_params: { api_type: "opneai", api_base: "http://127.0.0.1:1/v1" } });
    expect(res.status).toBe(400);
    const errors = await errorsOf(res);
    expect(errors.map((e) => e.path)).toEqual(["model_list[3].model_params.api_type"]);
    expect(errors[0]!.message).toContain('api_type "opneai" is not one of openai, openai-responses, anthropic, mock');
    expect(readFileSync(path, "utf8")).toBe(yaml);

    const put = await adminSend(p, "PUT", "/admin/config", {
      yaml: `${yaml}  - model_name: typo2\n    model_params: { api_type: antropic }\nrouter_setings: { num_retries: 2 }\n`,
    });
    expect(put.status).toBe(400);
    expect((await errorsOf(put)).map((e) => [e.path, e.line])).toEqual([
      ["router_setings", 11],
      ["model_list[3].model_params.api_type", 10],
    ]);
    const validate = await adminSend(p, "POST", "/admin/config/validate", { yaml: `${yaml}router_settings:\n  fallbacks:\n    - open: [opne]\n` });
    expect(await validate.json()).toMatchObject({ valid: false, errors: [{ path: "router_settings.fallbacks[0].open[0]" }] });
    // The running config's GigaChat model without credentials (a warning, not served) is no reason to refuse an unrelated change.
    expect((await adminSend(p, "POST", "/admin/models", { model_name: "fine", model_params: { api_type: "mock" } })).status).toBe(200);
    expect((await adminSend(p, "DELETE", "/admin/models/fine")).status).toBe(200);
  });

  it("never changes or deletes a protected model through the admin API", async () => {
    const put = await adminSend(p, "PUT", "/admin/models/locked", { model_params: { api_type: "mock", mock: { reply: "changed" } } });
    expect(put.status).toBe(403);
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe("model_protected");
    expect((await adminSend(p, "DELETE", "/admin/models/locked")).status).toBe(403);

    const cfg = await adminGet<{ yaml: string }>(p, "/admin/config");
    const changed = await adminSend(p, "PUT", "/admin/config", { yaml: cfg.yaml.replace('reply: "locked"', 'reply: "changed"') });
    expect(changed.status).toBe(400);
    expect((await errorsOf(changed))[0]).toMatchObject({ path: "model_list[0]", line: 2 });
    const unprotected = await adminSend(p, "PUT", "/admin/config", { yaml: cfg.yaml.replace("protected: true", "protected: false") });
    expect(unprotected.status).toBe(400);
    const removed = await adminSend(p, "PUT", "/admin/config", { yaml: cfg.yaml.replace(/ {2}- model_name: locked\n.*\n.*\n/, "") });
    expect(removed.status).toBe(400);
    expect((await errorsOf(removed))[0]!.message).toContain('model "locked" is protected');

    const chat = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "locked", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(((await chat.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("locked");
    // An unprotected model next to it still changes.
    expect((await adminSend(p, "PUT", "/admin/models/open", { model_params: { api_type: "mock", mock: { reply: "changed" } } })).status).toBe(200);
    expect(readFileSync(path, "utf8")).toContain(
      '  - model_name: locked\n    protected: true\n    model_params: { api_type: mock, mock: { reply: "locked" } }\n',
    );
  });
});

describe("admin changes: a protected model's parent", () => {
  const yaml = `model_list:
  - model_name: base
    model_params: { api_type: mock, mock: { reply: "from base" } }
  - model_name: locked-child
    protected: true
    extends: base
  - model_name: other
    model_params: { api_type: mock }
`;
  let p: RunningProxy;
  let path: string;
  beforeAll(async () => {
    const dir = configDir(yaml);
    path = join(dir, "config.yaml");
    p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: path });
  });
  afterAll(async () => p.close());

  it("cannot be changed or deleted through the admin API, since that changes the protected model", async () => {
    const put = await adminSend(p, "PUT", "/admin/models/base", { model_params: { api_type: "mock", mock: { reply: "changed" } } });
    expect(put.status).toBe(400);
    const errors = ((await put.json()) as { errors: Array<{ path: string; message: string }> }).errors;
    expect(errors[0]).toMatchObject({ path: "model_list[1]" });
    expect(errors[0]!.message).toContain('model "locked-child" is protected: what it extends cannot be changed');
    // Models extend it: refused as yaLLMproxy does (409, dependents listed); cascade would take the protected one.
    expect((await adminSend(p, "DELETE", "/admin/models/base")).status).toBe(409);
    expect((await adminSend(p, "DELETE", "/admin/models/base?cascade=true")).status).toBe(403);
    expect(readFileSync(path, "utf8")).toBe(yaml);

    const chat = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "locked-child", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(((await chat.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("from base");
    // A model the protected one does not extend still changes.
    expect((await adminSend(p, "PUT", "/admin/models/other", { model_params: { api_type: "mock", mock: { reply: "changed" } } })).status).toBe(200);
  });
});
