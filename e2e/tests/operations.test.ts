// The operations plane: traces at each capture level, the admin credential on REST and WebSocket,
// the live feed's timing, config validation / apply / versions / rollback / file reload, metrics,
// trace overflow, and replay.

import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import OpenAI from "openai";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import { type RunningProxy, type Upstream, chatChunk, sendJson, sleep, spawnProxy, sseHead, startProxy, startUpstream } from "../lib/harness.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ADMIN = "admin-pw-123";
const pgSkip = await postgresAvailable();
const admin = { authorization: `Bearer ${ADMIN}` };

async function adminGet<T>(p: RunningProxy, path: string): Promise<T> {
  const res = await fetch(`${p.url}${path}`, { headers: admin });
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

async function adminSend(p: RunningProxy, method: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${p.url}${path}`, { method, headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify(body) });
}

interface TraceDetail {
  id: string;
  status: number;
  backend: string;
  clientFormat: string;
  backendFormat: string;
  attempts: unknown;
  promptTokens: number | null;
  captureLevel: string;
  clientRequest: { headers: Record<string, unknown>; body: Record<string, unknown> } | null;
  upstreamRequest: { url: string; body: Record<string, unknown> } | null;
  upstreamEvents: Array<{ t: number; data: string }>;
  clientEvents: Array<{ t: number; data: string }>;
  warningList: { code: string; path: string; message: string }[];
  timings: Record<string, unknown>;
  [k: string]: unknown;
}

describe("traces and the admin API", () => {
  let up: Upstream;
  let p: RunningProxy;
  let configDir: string;

  beforeAll(async () => {
    let flakyCalls = 0;
    up = await startUpstream(async (req, res) => {
      if ((req.json?.model as string) === "flaky-up" && flakyCalls++ % 2 === 0) return sendJson(res, 503, { error: { message: "busy", type: "server_error" } });
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      res.write(chatChunk({ content: "traced " }));
      res.write(chatChunk({ content: "answer" }));
      res.write(chatChunk({}, { finish: "stop" }));
      res.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
    });
    configDir = mkdtempSync(join(tmpdir(), "yallmp-ops-"));
    const yaml = `
model_list:
  - model_name: full-m
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-upstream-secret-1, model: full-up }
  - model_name: meta-m
    model_params: { api_type: openai, api_base: ${up.url}, model: meta-up, trace_capture: metadata }
  - model_name: off-m
    model_params: { api_type: openai, api_base: ${up.url}, model: off-up, trace_capture: off }
  - model_name: flaky-m
    model_params: { api_type: openai, api_base: ${up.url}, model: flaky-up }
router_settings: { num_retries: 1, retry_base_delay_ms: 1 }
proxy_settings:
  traces: { capture: full }
`;
    writeFileSync(join(configDir, "config.yaml"), yaml);
    p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: join(configDir, "config.yaml") });
  });
  afterAll(async () => {
    await p.close();
    await up.close();
  });

  it("refuses a missing or wrong admin credential on REST and on the WebSocket", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }] as Array<Record<string, string>>) {
      const res = await fetch(`${p.url}/admin/traces`, { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("admin_unauthorized");
    }
    for (const url of [`${p.url.replace("http", "ws")}/admin/ws`, `${p.url.replace("http", "ws")}/admin/ws?token=wrong`]) {
      const ws = new WebSocket(url);
      const status = await new Promise<number>((resolve) => {
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => resolve(101));
      });
      expect(status).toBe(401);
    }
    const login = await fetch(`${p.url}/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ password: "nope" }),
    });
    expect(login.status).toBe(401);
  });

  it("answers an Upgrade request to any other endpoint as plain HTTP, on a connection that stays usable", async () => {
    const { port } = new URL(p.url);
    for (const path of ["/v1/models", "/no-such-path"]) {
      const socket = connect(Number(port), "127.0.0.1");
      let text = "";
      socket.on("data", (d: Buffer) => (text += d.toString()));
      const closed = once(socket, "close").then(() => true);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
      for (let i = 0; i < 100 && !text.includes("\r\n\r\n"); i++) await sleep(20);
      expect(text.split("\r\n")[0]).toBe(path === "/v1/models" ? "HTTP/1.1 200 OK" : "HTTP/1.1 404 Not Found");
      expect(text).toMatch(/x-request-id: /i);
      socket.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect(await Promise.race([closed, sleep(2000).then(() => false)])).toBe(true);
      expect(text).toContain('{"status":"ok"');
      socket.destroy();
    }
  });

  it("signs in with a session cookie", async () => {
    const login = await fetch(`${p.url}/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ password: ADMIN }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    expect(cookie).toMatch(/^yallmp_admin=\d+\./);
    expect((await fetch(`${p.url}/admin/session`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${p.url}/admin/session`, { headers: { cookie: `${cookie}x` } })).status).toBe(401);
  });

  it("records a full trace: both requests, the raw and translated streams, timings, redacted secrets", async () => {
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "client-secret-key", maxRetries: 0 });
    const stream = client.responses.stream({ model: "full-m", input: "trace me", tools: [{ type: "web_search" }] as never });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("traced answer");
    const list = await adminGet<{ data: Array<{ id: string; model: string }> }>(p, "/admin/traces?model=full-m");
    const id = list.data[0]!.id;
    const t = await adminGet<TraceDetail>(p, `/admin/traces/${id}`);
    expect(t).toMatchObject({ status: 200, backend: "full-m", clientFormat: "responses", backendFormat: "chat", promptTokens: 7, captureLevel: "full" });
    expect(t.attempts).toEqual([expect.objectContaining({ backend: "full-m", status: 200, outcome: "answered" })]);
    expect(t.clientRequest!.body).toMatchObject({ model: "full-m", input: "trace me" });
    expect(t.clientRequest!.headers.authorization).toBe("[redacted]");
    expect(t.upstreamRequest!.url).toBe(`${up.url}/chat/completions`);
    expect(t.upstreamRequest!.body).toMatchObject({ model: "full-up", stream: true, stream_options: { include_usage: true } });
    const upstreamText = t.upstreamEvents.map((e) => e.data).join("");
    const clientText = t.clientEvents.map((e) => e.data).join("");
    expect(upstreamText).toContain('"content":"traced "');
    expect(upstreamText).toContain("data: [DONE]");
    expect(clientText).toContain("event: response.output_text.delta");
    expect(clientText).toContain("event: response.completed");
    expect(t.clientEvents[0]!.t).toBeGreaterThanOrEqual(0);
    expect(t.warningList.some((w) => w.code === "tool_dropped" && w.message.includes("web_search"))).toBe(true);
    expect(t.timings).toMatchObject({ firstByteMs: expect.any(Number), doneMs: expect.any(Number) });
    expect(JSON.stringify(t)).not.toContain("sk-upstream-secret-1");
    expect(JSON.stringify(t)).not.toContain("client-secret-key");
  });

  it("records attempts and why it failed over", async () => {
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
    await client.chat.completions.create({ model: "flaky-m", messages: [{ role: "user", content: "retry me" }], stream: true }).then(async (s) => {
      for await (const _ of s);
    });
    const list = await adminGet<{ data: Array<{ id: string; attempts: number }> }>(p, "/admin/traces?model=flaky-m");
    const t = await adminGet<TraceDetail & { attempts: Array<{ status: number; outcome: string }> }>(p, `/admin/traces/${list.data[0]!.id}`);
    expect((t as unknown as { attempts: Array<{ status: number; outcome: string }> }).attempts.map((a) => [a.status, a.outcome])).toEqual([
      [503, "retry"],
      [200, "answered"],
    ]);
  });

  it("keeps no bodies at capture metadata and nothing at capture off", async () => {
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
    await client.chat.completions.create({ model: "meta-m", messages: [{ role: "user", content: "meta" }] }).catch(() => undefined);
    await client.chat.completions.create({ model: "off-m", messages: [{ role: "user", content: "off" }] }).catch(() => undefined);
    const meta = await adminGet<{ data: Array<{ id: string }> }>(p, "/admin/traces?model=meta-m");
    const t = await adminGet<TraceDetail>(p, `/admin/traces/${meta.data[0]!.id}`);
    expect(t.captureLevel).toBe("metadata");
    expect(t.clientRequest).toBeNull();
    expect(t.upstreamEvents).toEqual([]);
    expect((await adminGet<{ data: unknown[] }>(p, "/admin/traces?model=off-m")).data).toEqual([]);
  });

  it("filters and pages the trace list", async () => {
    const first = await adminGet<{ data: Array<{ id: string }>; next_cursor: string | null }>(p, "/admin/traces?limit=1");
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).toBeTruthy();
    const second = await adminGet<{ data: Array<{ id: string }> }>(p, `/admin/traces?limit=1&cursor=${first.next_cursor}`);
    expect(second.data[0]!.id).not.toBe(first.data[0]!.id);
    expect((await fetch(`${p.url}/admin/traces?limit=0`, { headers: admin })).status).toBe(400);
    expect((await fetch(`${p.url}/admin/traces?cursor=@@`, { headers: admin })).status).toBe(400);
    expect((await fetch(`${p.url}/admin/traces/nope`, { headers: admin })).status).toBe(404);
  });

  it("delivers a request's start and finish on the WebSocket within 200 ms", async () => {
    const ws = new WebSocket(`${p.url.replace("http", "ws")}/admin/ws`, { headers: admin });
    const events: Array<{ type: string; at: number; trace?: { model: string; id: string } }> = [];
    ws.on("message", (d) => events.push({ ...(JSON.parse(String(d)) as { type: string }), at: performance.now() }));
    await new Promise((r) => ws.on("open", r));
    ws.send(JSON.stringify({ type: "filter", model: "full-m" }));
    await sleep(50);
    const sentAt = performance.now();
    const res = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "full-m", messages: [{ role: "user", content: "live" }] }),
    });
    const doneAt = performance.now();
    await res.text();
    await sleep(50);
    ws.close();
    const started = events.find((e) => e.type === "request.started");
    const finished = events.find((e) => e.type === "request.finished");
    expect(started?.trace?.model).toBe("full-m");
    expect(finished?.trace?.id).toBe(started?.trace?.id);
    expect(started!.at - sentAt).toBeLessThan(200);
    expect(finished!.at - doneAt).toBeLessThan(200);
    expect(events.some((e) => e.type === "request.started" && e.trace?.model !== "full-m")).toBe(false);
  });

  it("exposes Prometheus metrics", async () => {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    expect(text).toMatch(/yallmp_requests_total\{model="full-m",backend="full-m",client_format="responses",status="200"\} \d+/);
    expect(text).toMatch(/yallmp_retries_total\{backend="flaky-m"\} [1-9]/);
    expect(text).toContain("yallmp_time_to_first_token_seconds_bucket");
    expect(text).toMatch(/yallmp_tokens_total\{model="full-m",type="prompt"\} \d+/);
    expect(text).toContain("yallmp_traces_dropped_total 0");
  });
});

describe("config through the admin API", () => {
  let p: RunningProxy;
  let path: string;
  const base = `model_list:
  - model_name: base-m
    model_params: { api_type: mock, api_key: literal-secret-value }
`;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-cfg-"));
    path = join(dir, "config.yaml");
    writeFileSync(path, base);
    p = await startProxy(base, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: path });
  });
  afterAll(async () => p.close());

  const chat = (model: string) =>
    fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });

  it("shows the config with literal secrets masked", async () => {
    const cfg = await adminGet<{ yaml: string; version: number }>(p, "/admin/config");
    expect(cfg.yaml).toContain('api_key: "***"');
    expect(cfg.yaml).not.toContain("literal-secret-value");
    expect(cfg.version).toBe(1);
  });

  it("rejects an invalid config with every bad path and its line, applying nothing", async () => {
    const bad = `model_list:
  - model_name: ok-m
    model_params: { api_type: mock }
  - model_name: broken
    model_params:
      api_type: openai
      request_timeout: soon
  - model_name: also-broken
    extends: nowhere
    model_params: {}
`;
    for (const [method, path2, status] of [
      ["POST", "/admin/config/validate", 200],
      ["PUT", "/admin/config", 400],
    ] as const) {
      const res = await adminSend(p, method, path2, { yaml: bad });
      expect(res.status).toBe(status);
      const body = (await res.json()) as { valid?: boolean; errors: Array<{ path: string; line?: number }> };
      if (method === "POST") expect(body.valid).toBe(false);
      expect(body.errors.map((e) => e.path).sort()).toEqual(["model_list[1].model_params.request_timeout", "model_list[2].extends"]);
      expect(body.errors.find((e) => e.path.endsWith("request_timeout"))!.line).toBe(7);
    }
    expect((await chat("ok-m")).status).toBe(404);
    expect(readFileSync(path, "utf8")).toBe(base);
    expect((await adminGet<{ data: unknown[] }>(p, "/admin/config/versions")).data).toHaveLength(1);
  });

  it("applies an alias without a restart, keeps the masked secret, saves the file and a version, and rolls back", async () => {
    const cfg = await adminGet<{ yaml: string }>(p, "/admin/config");
    const edited = `${cfg.yaml}  - model_name: alias-m\n    extends: base-m\n`;
    const res = await adminSend(p, "PUT", "/admin/config", { yaml: edited, author: "tester" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { version: number }).version).toBe(2);
    expect((await chat("alias-m")).status).toBe(200);
    const onDisk = readFileSync(path, "utf8");
    expect(onDisk).toContain("alias-m");
    expect(onDisk).toContain("literal-secret-value");
    const versions = await adminGet<{ data: Array<{ version: number; author: string; summary: string }> }>(p, "/admin/config/versions");
    expect(versions.data[0]).toMatchObject({ version: 2, author: "tester", summary: "added alias-m" });
    const v2 = await adminGet<{ diff: string }>(p, "/admin/config/versions/2");
    expect(v2.diff).toContain("+  - model_name: alias-m");
    const models = await adminGet<{ data: Array<{ name: string; extends: string | null; children: string[] }> }>(p, "/admin/models");
    expect(models.data.find((m) => m.name === "base-m")!.children).toEqual(["alias-m"]);

    const rb = await adminSend(p, "POST", "/admin/config/rollback", { version: 1 });
    expect(rb.status).toBe(200);
    expect((await chat("alias-m")).status).toBe(404);
    expect((await chat("base-m")).status).toBe(200);
  });
});

describe("config file reload and replicas", () => {
  it("follows edits of the file on disk, and keeps the running config when the file is invalid", async () => {
    const up = await startUpstream((_req, res) =>
      sendJson(res, 200, {
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      }),
    );
    const yaml = `model_list:\n  - { model_name: a, model_params: { api_type: openai, api_base: ${up.url} } }\n`;
    const proc = await spawnProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN });
    try {
      const configPath = join(proc.cwd, "config.yaml");
      const chat = (model: string) =>
        fetch(`${proc.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, messages: [{ role: "user", content: "x" }] }),
        });
      writeFileSync(configPath, `${yaml}  - { model_name: b, model_params: { api_type: mock } }\n`);
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        await sleep(100);
        status = (await chat("b")).status;
      }
      expect(status).toBe(200);
      writeFileSync(configPath, "model_list: [ this is not yaml");
      for (let i = 0; i < 50 && !proc.output().includes("config file changed but is invalid"); i++) await sleep(100);
      expect(proc.output()).toContain("config file changed but is invalid");
      expect((await chat("b")).status).toBe(200);
    } finally {
      await proc.kill();
      await up.close();
    }
  }, 30_000);

  it.skipIf(pgSkip !== undefined)(
    "a config applied on one replica answers on the other within a second; live events cross replicas",
    async () => {
      const db = await createTestDatabase();
      const yaml = "model_list:\n  - { model_name: a, model_params: { api_type: mock } }\n";
      const [r1, r2] = await Promise.all([
        spawnProxy(yaml, { DATABASE_URL: db.url, YALLMP_ADMIN_PASSWORD: ADMIN }),
        spawnProxy(yaml, { DATABASE_URL: db.url, YALLMP_ADMIN_PASSWORD: ADMIN }),
      ]);
      try {
        const ws = new WebSocket(`${r2.url.replace("http", "ws")}/admin/ws`, { headers: admin });
        const seen: string[] = [];
        ws.on("message", (d) => seen.push((JSON.parse(String(d)) as { type: string; trace?: { model: string } }).trace?.model ?? ""));
        await new Promise((r) => ws.on("open", r));
        const res = await fetch(`${r1.url}/admin/config`, { headers: admin });
        const { yaml: current } = (await res.json()) as { yaml: string };
        const put = await fetch(`${r1.url}/admin/config`, {
          method: "PUT",
          headers: { ...admin, "content-type": "application/json" },
          body: JSON.stringify({ yaml: `${current}  - { model_name: from-r1, model_params: { api_type: mock } }\n` }),
        });
        expect(put.status).toBe(200);
        const appliedAt = performance.now();
        let status = 0;
        while (status !== 200 && performance.now() - appliedAt < 1000) {
          status = (
            await fetch(`${r2.url}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model: "from-r1", messages: [{ role: "user", content: "x" }] }),
            })
          ).status;
          if (status !== 200) await sleep(50);
        }
        expect(status).toBe(200);
        await fetch(`${r1.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "a", messages: [{ role: "user", content: "from r1" }] }),
        });
        await sleep(300);
        ws.close();
        expect(seen.filter((m) => m === "a").length).toBeGreaterThanOrEqual(1);
      } finally {
        await Promise.all([r1.kill(), r2.kill()]);
        await db.drop();
      }
    },
    60_000,
  );
});

describe("trace overflow", () => {
  it("drops traces past the queue and counts them, never waiting", async () => {
    const p = await startProxy(`
model_list:
  - { model_name: m, model_params: { api_type: mock } }
proxy_settings:
  traces: { capture: full, queue_size: 2, batch_size: 1000, flush_interval_ms: 60000 }
`);
    try {
      for (let i = 0; i < 6; i++) {
        await fetch(`${p.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: `n${i}` }] }),
        });
      }
      const text = await (await fetch(`${p.url}/metrics`)).text();
      expect(text).toContain("yallmp_traces_dropped_total 4");
    } finally {
      await p.close();
    }
  });
});

describe("replay", () => {
  it("replays a stored chain against another model, streamed, linked to the original", async () => {
    const p = await startProxy(
      `
model_list:
  - { model_name: first, model_params: { api_type: mock } }
  - { model_name: second, model_params: { api_type: mock, mock: { reply: "from the second model" } } }
`,
      { YALLMP_ADMIN_PASSWORD: ADMIN },
    );
    try {
      const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
      const t1 = await client.responses.create({ model: "first", input: "turn one" });
      const t2 = await client.responses.create({ model: "first", input: "turn two", previous_response_id: t1.id });
      const res = await adminSend(p, "POST", "/admin/replay", { responseId: t2.id, model: "second", mode: "chain" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const text = await res.text();
      const completed = /event: response\.completed\ndata: (.*)\n/.exec(text);
      const final = JSON.parse(completed![1]!) as {
        response: { id: string; output_text?: string; metadata: Record<string, string>; previous_response_id: string };
      };
      expect(final.response.metadata.replay_of).toBe(t2.id);
      expect(text).toContain("from the second model");
      const detail = await adminGet<{ chain: Array<{ id: string; model: string }> }>(p, `/admin/responses/${final.response.id}`);
      expect(detail.chain.map((c) => c.model)).toEqual(["second", "second"]);
      const original = await adminGet<{ chain: Array<{ id: string }>; children: string[] }>(p, `/admin/responses/${t1.id}`);
      expect(original.children).toEqual([t2.id]);
      const search = await adminGet<{ data: Array<{ id: string }> }>(p, "/admin/responses?q=turn%20two&model=first");
      expect(search.data.map((r) => r.id)).toEqual([t2.id]);
      expect((await adminSend(p, "POST", "/admin/replay", { responseId: "resp_nope", model: "second" })).status).toBe(404);
      expect((await adminSend(p, "POST", "/admin/replay", { responseId: t2.id, model: "nope" })).status).toBe(404);
    } finally {
      await p.close();
    }
  });
});

describe("models and keys management", () => {
  it("adds, updates, copies and deletes models, and adds and deletes keys, each as a config version", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-manage-"));
    const path = join(dir, "config.yaml");
    const yaml =
      "# managed through the admin API\nmodel_list:\n  - model_name: base-m   # the base\n    model_params: { api_type: mock }\napp_keys:\n  enabled: true\n  keys:\n    - { key_id: first, secret: first-secret }\n";
    writeFileSync(path, yaml);
    const p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: path });
    const chat = (model: string, key = "first-secret") =>
      fetch(`${p.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
      });
    try {
      expect((await adminSend(p, "POST", "/admin/models", { model_name: "alias-m", extends: "base-m" })).status).toBe(200);
      expect((await chat("alias-m")).status).toBe(200);
      expect((await adminSend(p, "POST", "/admin/models", { model_name: "alias-m", extends: "base-m" })).status).toBe(409);
      const bad = await adminSend(p, "POST", "/admin/models", { model_name: "broken-m", model_params: { api_type: "openai" } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { errors: Array<{ path: string }> }).errors[0]!.path).toBe("model_list[2].model_params.api_base");
      expect((await chat("broken-m")).status).toBe(404);

      expect((await adminSend(p, "PUT", "/admin/models/alias-m", { model_params: { api_type: "mock", mock: { reply: "updated" } } })).status).toBe(200);
      const updated = (await (await chat("alias-m")).json()) as { choices: Array<{ message: { content: string } }> };
      expect(updated.choices[0]!.message.content).toBe("updated");
      expect((await adminSend(p, "POST", "/admin/models/copy?source=alias-m&target=copy-m", {})).status).toBe(200);
      expect((await chat("copy-m")).status).toBe(200);
      expect((await adminSend(p, "DELETE", "/admin/models/alias-m", {})).status).toBe(200);
      expect((await chat("alias-m")).status).toBe(404);
      expect((await adminSend(p, "DELETE", "/admin/models/nope", {})).status).toBe(404);

      const added = await adminSend(p, "POST", "/admin/keys", { key_id: "second", concurrency_limit: 2 });
      expect(added.status).toBe(200);
      const { secret } = (await added.json()) as { secret: string };
      expect(secret).toMatch(/^sk-yallmp-/);
      expect((await chat("base-m", secret)).status).toBe(200);
      const keys = await adminGet<{ data: Array<{ keyId: string; concurrencyLimit: number }> }>(p, "/admin/keys");
      expect(keys.data.map((k) => [k.keyId, k.concurrencyLimit])).toEqual([
        ["first", 0],
        ["second", 2],
      ]);
      expect(JSON.stringify(keys)).not.toContain(secret);
      expect((await adminSend(p, "DELETE", "/admin/keys/second", {})).status).toBe(200);
      expect((await chat("base-m", secret)).status).toBe(401);

      const onDisk = readFileSync(path, "utf8");
      expect(onDisk).toContain("# managed through the admin API");
      expect(onDisk).toContain("# the base");
      const versions = await adminGet<{ data: Array<{ author: string }> }>(p, "/admin/config/versions");
      expect(versions.data.map((v) => v.author)).toEqual([
        "admin (delete key)",
        "admin (add key)",
        "admin (delete model)",
        "admin (copy model)",
        "admin (update model)",
        "admin (add model)",
        "startup",
      ]);
    } finally {
      await p.close();
    }
  });
});
