// Input the proxy must bound or refuse in its documented shape: deeply nested JSON (with trace capture
// `full` and `metadata`), unknown model names in metrics, Fastify's and Node's own refusals, h2c
// upgrade requests served as HTTP/1.1, and the log lines of refused requests.

import { execFile } from "node:child_process";
import { connect } from "node:net";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxyProcess, type RunningProxy, sleep, spawnProxy, startProxy } from "../lib/harness.js";

const MODELS = `model_list:
  - model_name: mock
    model_params: { api_type: mock }
  - model_name: claude-sonnet-4-5
    extends: mock
`;

const nested = (d: number) => `${"[".repeat(d)}1${"]".repeat(d)}`;
const nestedObj = (d: number) => `${'{"a":'.repeat(d)}1${"}".repeat(d)}`;
const deepChat = (d: number) => `{"model":"mock","messages":[{"role":"user","content":${nested(d)}}]}`;
const deepMessages = (d: number) => `{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":${nested(d)}}]}`;

/** Writes raw bytes and collects what comes back until the server closes or `waitMs` passes. */
export function rawRequest(url: string, data: string | Buffer, waitMs = 2000): Promise<string> {
  const port = Number(new URL(url).port);
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(data));
    let out = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, waitMs);
    socket.on("data", (d: Buffer) => (out += d.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Status and parsed JSON body of the first HTTP answer in raw socket output. */
export function firstAnswer(raw: string): { status: number; body: unknown } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
  const at = raw.indexOf("\r\n\r\n");
  const head = at < 0 ? "" : raw.slice(0, at);
  let rest = at < 0 ? "" : raw.slice(at + 4);
  let text = rest;
  const length = /content-length: (\d+)/i.exec(head)?.[1];
  if (length !== undefined) text = rest.slice(0, Number(length));
  else if (/transfer-encoding: chunked/i.test(head)) {
    text = "";
    for (;;) {
      const eol = rest.indexOf("\r\n");
      const size = eol < 0 ? 0 : Number.parseInt(rest.slice(0, eol), 16);
      if (!size) break;
      text += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 4 + size);
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status, body };
}

describe("deeply nested JSON", () => {
  for (const capture of ["full", "metadata"] as const) {
    describe(`with trace capture ${capture}`, () => {
      let proc: ProxyProcess;
      beforeAll(async () => {
        proc = await spawnProxy(`${MODELS}proxy_settings:\n  traces: { capture: ${capture}, flush_interval_ms: 50 }\n`);
      }, 60_000);
      afterAll(async () => proc.kill());

      it("answers 400 json_too_deep naming the limit, in each route's format, and the process lives on", async () => {
        const chat = await fetch(`${proc.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: deepChat(3000) });
        expect(chat.status).toBe(400);
        const chatBody = (await chat.json()) as { error: { code: string; message: string } };
        expect(chatBody.error.code).toBe("json_too_deep");
        expect(chatBody.error.message).toContain("128");
        const messages = await fetch(`${proc.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: deepMessages(3000) });
        expect(messages.status).toBe(400);
        expect(await messages.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
        const responses = await fetch(`${proc.url}/v1/responses`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: `{"model":"mock","input":[{"role":"user","content":${nested(20_000)}}]}`,
        });
        expect(responses.status).toBe(400);
        // Past a trace flush, the process still answers.
        await sleep(300);
        expect(proc.child.exitCode).toBeNull();
        expect((await fetch(`${proc.url}/health`)).status).toBe(200);
      });

      it("accepts nesting up to the limit", async () => {
        const res = await fetch(`${proc.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: `{"model":"mock","messages":[{"role":"user","content":"hi"}],"metadata":{"a":${nested(120)}}}`,
        });
        expect(res.status).toBe(200);
        await sleep(300);
        expect((await fetch(`${proc.url}/health`)).status).toBe(200);
      });
    });
  }

  it("takes its limit from proxy_settings.server.max_json_depth", async () => {
    const p = await startProxy(`${MODELS}proxy_settings:\n  server: { max_json_depth: 16 }\n`);
    try {
      const body = (d: number) => `{"model":"mock","messages":[{"role":"user","content":"hi"}],"metadata":{"a":${nested(d)}}}`;
      expect((await fetch(`${p.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(14) })).status).toBe(
        200,
      );
      const refused = await fetch(`${p.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(15) });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("16 levels");
    } finally {
      await p.close();
    }
  });
});

describe("walks over bodies at the deepest configurable nesting", () => {
  it("with max_json_depth 1000 and capture full, bodies nested 999 deep are answered, traced and shown", async () => {
    const p = await startProxy(`${MODELS}proxy_settings:\n  server: { max_json_depth: 1000 }\n  traces: { capture: full, flush_interval_ms: 20 }\n`, {
      YALLMP_ADMIN_PASSWORD: "pw",
    });
    try {
      const deep = nestedObj(995);
      const sends = [
        ["/v1/chat/completions", `{"model":"mock","messages":[{"role":"user","content":"hi"}],"metadata":{"a":${deep}}}`],
        [
          "/v1/chat/completions",
          `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`,
        ],
        ["/v1/responses", `{"model":"mock","input":"hi","text":{"format":${deep}}}`],
        [
          "/v1/messages",
          `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${deep}}]}`,
        ],
        [
          "/v1/messages/count_tokens",
          `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${deep}}]}`,
        ],
      ] as const;
      for (const [path, body] of sends) {
        const res = await fetch(`${p.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": `deep-${sends.findIndex((x) => x[1] === body)}` },
          body,
        });
        expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(500);
      }
      await sleep(200);
      for (const id of ["deep-0", "deep-1", "deep-2", "deep-3"]) {
        const trace = await fetch(`${p.url}/admin/traces/${id}`, { headers: { authorization: "Bearer pw" } });
        expect(trace.status, id).toBe(200);
      }
      expect(p.logs().filter((l) => l.msg === "background task failed")).toEqual([]);
    } finally {
      await p.close();
    }
  });
});

describe("h2c with a connection cap", () => {
  it("an h2c request on the only connection an address may open is served, not refused as a second connection", async () => {
    const p = await startProxy(`${MODELS}proxy_settings:\n  server: { max_connections_per_ip: 1 }\n`);
    try {
      const body = JSON.stringify({ model: "mock", messages: [{ role: "user", content: "capped" }] });
      const raw = await rawRequest(
        p.url,
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      expect(firstAnswer(raw).status).toBe(200);
      expect(raw).toContain("capped");
    } finally {
      await p.close();
    }
  });
});

describe("metric labels", () => {
  it("thousands of unknown model names share one series and leave /metrics small", async () => {
    const p = await startProxy(MODELS);
    try {
      const before = (await (await fetch(`${p.url}/metrics`)).text()).length;
      for (let batch = 0; batch < 100; batch++) {
        await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            fetch(`${p.url}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model: `no-such-model-${batch}-${i}-${"x".repeat(40)}`, messages: [{ role: "user", content: "hi" }] }),
            }).then((r) => r.arrayBuffer()),
          ),
        );
      }
      await fetch(`${p.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
      });
      const text = await (await fetch(`${p.url}/metrics`)).text();
      expect(text).not.toContain("no-such-model");
      expect(text).toContain('yallmp_requests_total{model="unknown",backend="none",client_format="chat",status="404"} 3000');
      expect(text).toContain('yallmp_requests_total{model="mock",backend="mock",client_format="chat",status="200"} 1');
      expect(text.length - before).toBeLessThan(30_000);
    } finally {
      await p.close();
    }
  });
});

describe("refusals in the documented shape", () => {
  let p: RunningProxy;
  beforeAll(async () => {
    p = await startProxy(MODELS, { YALLMP_ADMIN_PASSWORD: "admin-secret-pw" });
  });
  afterAll(async () => p.close());

  const openAIError = (body: unknown, code: string) =>
    expect(body).toMatchObject({ error: { message: expect.any(String), type: "invalid_request_error", param: null, code } });

  it("a URL that does not decode: 400 invalid_url (Fastify's FST_ERR_BAD_URL)", async () => {
    const { status, body } = firstAnswer(await rawRequest(p.url, "GET /v1/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    expect(status).toBe(400);
    openAIError(body, "invalid_url");
    const messages = firstAnswer(await rawRequest(p.url, "POST /v1/messages/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    expect(messages.status).toBe(400);
    expect(messages.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("a URL too long: 414; headers too large: 431; bytes that are not HTTP: 400 (Node's client errors)", async () => {
    const long = firstAnswer(await rawRequest(p.url, `GET /v1/models?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(long.status).toBe(414);
    openAIError(long.body, "uri_too_long");
    const param = await fetch(`${p.url}/v1/responses/${"r".repeat(1100)}`);
    expect(param.status).toBe(414);
    openAIError(await param.json(), "uri_too_long");
    const headers = firstAnswer(await rawRequest(p.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`));
    expect(headers.status).toBe(431);
    openAIError(headers.body, "request_headers_too_large");
    const anthropic = firstAnswer(await rawRequest(p.url, `POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`));
    expect(anthropic.status).toBe(431);
    expect(anthropic.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    for (const garbage of ["HELLO\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "\u0000\u0001\u0002\r\n\r\n"]) {
      const answer = firstAnswer(await rawRequest(p.url, garbage));
      expect(answer.status, JSON.stringify(garbage)).toBe(400);
      openAIError(answer.body, "invalid_http");
    }
    expect(p.logText()).not.toContain("aaaaaaaaaa");
  });

  it("a control character in a header value: 400 invalid_http in the route's format", async () => {
    const chat = firstAnswer(await rawRequest(p.url, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Note: a\u0001b\r\nContent-Length: 0\r\n\r\n"));
    expect(chat.status).toBe(400);
    openAIError(chat.body, "invalid_http");
    const messages = firstAnswer(
      await rawRequest(p.url, "POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: \u0001\u0002\r\nContent-Length: 0\r\n\r\n"),
    );
    expect(messages.status).toBe(400);
    expect(messages.body).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/not valid HTTP/) } });
  });

  it("count_tokens with null content blocks, a status filter out of range and a version that is not a number: 400s", async () => {
    const count = await fetch(`${p.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: [null] }] }),
    });
    expect(count.status).toBe(400);
    expect(await count.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const nestedNull = await fetch(`${p.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [null, 3, "x"] }] }] }),
    });
    expect(nestedNull.status).toBe(200);
    const admin = { authorization: "Bearer admin-secret-pw" };
    const status = await fetch(`${p.url}/admin/traces?status=99999999999999999999`, { headers: admin });
    expect(status.status).toBe(400);
    expect(await status.json()).toMatchObject({ error: { param: "status", code: "invalid_value" } });
    for (const v of ["abc", "1.5", "-1", "99999999999999"]) {
      const version = await fetch(`${p.url}/admin/config/versions/${v}`, { headers: admin });
      expect(version.status, v).toBe(400);
      expect(await version.json()).toMatchObject({ error: { param: "version", code: "invalid_value" } });
    }
    const rollback = await fetch(`${p.url}/admin/config/rollback`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ version: 1e20 }),
    });
    expect(rollback.status).toBe(400);
  });

  it("routes that take no body accept an empty one sent with a JSON content type", async () => {
    const created = (await (
      await fetch(`${p.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "mock", input: "hi" }),
      })
    ).json()) as { id: string };
    const del = await fetch(`${p.url}/v1/responses/${created.id}`, { method: "DELETE", headers: { "content-type": "application/json" } });
    expect(del.status).toBe(200);
    const empty = await fetch(`${p.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: "invalid_json" } });
  });

  it("400 and 404 answers get a request log line (path only, never the query)", async () => {
    const id = `log-${Date.now()}`;
    await fetch(`${p.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": `${id}-400` }, body: "{" });
    await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": `${id}-model` },
      body: JSON.stringify({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    });
    await fetch(`${p.url}/nowhere?token=admin-secret-pw`, { headers: { "x-request-id": `${id}-404` } });
    const lines = p.logs();
    const line = (reqId: string) => lines.find((l) => l.reqId === reqId && l.msg === "request");
    expect(line(`${id}-400`)).toMatchObject({ status: 400, path: "/v1/chat/completions", code: "invalid_json" });
    expect(line(`${id}-model`)).toMatchObject({ status: 404, code: "model_not_found" });
    expect(line(`${id}-404`)).toMatchObject({ status: 404, path: "/nowhere" });
    expect(lines.filter((l) => l.reqId === `${id}-model`)).toHaveLength(1);
    expect(p.logText()).not.toContain("admin-secret-pw");
  });

  it("a WebSocket protocol error is one warning without a stack", async () => {
    const port = Number(new URL(p.url).port);
    const socket = connect(port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.write(
      "GET /admin/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer admin-secret-pw\r\n\r\n",
    );
    await sleep(200);
    const closed = new Promise((r) => socket.once("close", r));
    socket.on("data", () => undefined);
    socket.write(Buffer.from([0xc1, 0x80, 0, 0, 0, 0])); // RSV1 set: not allowed without an extension
    await closed;
    await sleep(50);
    const warnings = p.logs().filter((l) => l.msg === "websocket error");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, code: "WS_ERR_UNEXPECTED_RSV_1" });
    expect(JSON.stringify(warnings[0])).not.toContain("stack");
    expect(p.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
    // The feed still works for a well-behaved client.
    const ws = new WebSocket(`${p.url.replace("http", "ws")}/admin/ws`, { headers: { authorization: "Bearer admin-secret-pw" } });
    const hello = await new Promise<string>((resolve) => ws.once("message", (d) => resolve(String(d))));
    expect(JSON.parse(hello)).toMatchObject({ type: "hello" });
    ws.close();
  });

  it("an h2c upgrade POST (curl --http2) is served as HTTP/1.1 with its body, and the connection stays usable", async () => {
    const body = JSON.stringify({ model: "mock", messages: [{ role: "user", content: "over h2c" }] });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // Body in the same packet as the headers, then a second request on the same connection.
    const raw = await rawRequest(p.url, `${head}${body}GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const first = firstAnswer(raw);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ choices: [{ message: { content: "over h2c" } }] });
    expect(raw).toContain('{"status":"ok"');
    // Body arriving after the headers.
    const port = Number(new URL(p.url).port);
    const socket = connect(port, "127.0.0.1");
    let out = "";
    socket.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => socket.once("connect", r));
    socket.write(head);
    await sleep(100);
    socket.write(body);
    for (let i = 0; i < 50 && !out.includes("over h2c"); i++) await sleep(20);
    socket.destroy();
    expect(firstAnswer(out).status).toBe(200);
    expect(out).toContain("over h2c");
    const curl = await new Promise<{ ok: boolean; out: string }>((resolve) =>
      execFile(
        "curl",
        ["-s", "--http2", "-w", "\\n%{http_code}", `${p.url}/v1/chat/completions`, "-H", "content-type: application/json", "-d", body],
        (err, stdout) => resolve({ ok: !err || (err as { code?: unknown }).code !== "ENOENT", out: stdout }),
      ),
    );
    if (curl.ok && curl.out) {
      expect(curl.out.trim().endsWith("200")).toBe(true);
      expect(curl.out).toContain("over h2c");
    }
  });
});
