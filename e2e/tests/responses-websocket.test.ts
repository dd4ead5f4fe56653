// Responses WebSocket mode (`GET /v1/responses` with an Upgrade) against loopback upstreams: a
// three-turn tool chain with `store: false` on one socket, each turn sending only its new input and
// `previous_response_id`, on a chat-completions backend (driven by `ws` speaking the documented
// frames) and on an Anthropic backend (driven by the openai SDK's own `ResponsesWS` client); app keys
// on the upgrade; bad frames answered with `error` events on a socket that stays usable; 426 when
// the mode is turned off; a client leaving mid-turn cancels the upstream call.

import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type RunningProxy, type Upstream, sendJson, sleep, spawnProxy, sseHead, startProxy, startUpstream } from "../lib/harness.js";
import { anthropicFrame, chatStreamFrames, writeSse } from "../lib/scripted.js";

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type Frame = Record<string, any>;

async function upstream(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(handler);
  cleanup.push(u.close);
  return u;
}

async function proxy(yaml: string, env: Record<string, string> = {}): Promise<RunningProxy> {
  const p = await startProxy(yaml, env);
  cleanup.push(p.close);
  return p;
}

const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

/** A socket to the proxy, with every frame it receives kept in order. */
async function connect(p: RunningProxy, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; frames: Frame[] }> {
  const ws = new WebSocket(`${p.url.replace("http", "ws")}/v1/responses`, { headers });
  const frames: Frame[] = [];
  ws.on("message", (data, isBinary) => {
    expect(isBinary).toBe(false);
    frames.push(JSON.parse(String(data)) as Frame);
  });
  cleanup.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, frames };
}

/** Waits until a frame matching `done` has arrived after the first `from` frames; returns the frames of that turn. */
async function turnFrames(frames: Frame[], from: number, done: (f: Frame) => boolean = isTerminal, ms = 5000): Promise<Frame[]> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const i = frames.findIndex((f, k) => k >= from && done(f));
    if (i >= 0) return frames.slice(from, i + 1);
    await sleep(5);
  }
  throw new Error(`no terminal frame; got ${JSON.stringify(frames.slice(from).map((f) => f.type))}`);
}

function isTerminal(f: Frame): boolean {
  return f.type === "response.completed" || f.type === "response.failed" || f.type === "response.incomplete" || f.type === "error";
}

/** The grammar every turn's frames keep: created first, one terminal event last, sequence numbers 0, 1, 2, … */
function expectOneResponse(turn: Frame[]): Frame {
  expect(turn[0]!.type).toBe("response.created");
  expect(turn.at(-1)!.type).toBe("response.completed");
  expect(turn.filter(isTerminal)).toHaveLength(1);
  expect(turn.map((f) => f.sequence_number)).toEqual(turn.map((_, i) => i));
  return turn.at(-1)!.response as Frame;
}

/** Upgrade refused: the HTTP status and the JSON body of the answer. */
async function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Frame; headers: Record<string, unknown> }> {
  const ws = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    ws.once("open", () => reject(new Error("the upgrade was accepted")));
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Frame, headers: res.headers }));
    });
    ws.once("error", () => undefined);
  });
}

const chatYaml = (up: Upstream, extra = "") => `
model_list:
  - model_name: ws-chat
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
${extra}`;

describe("Responses WebSocket mode", () => {
  it("runs a three-turn tool chain with store:false on one socket over a chat backend, sending only new input each turn", async () => {
    const up = await upstream(async (_req, res, i) => {
      if (i === 0) await writeSse(res, chatStreamFrames({ toolCalls: [{ id: "call_1", name: "get_weather", argumentFragments: ['{"city":', '"Paris"}'] }] }));
      else if (i === 1) await writeSse(res, chatStreamFrames({ text: ["It is ", "sunny in Paris."] }));
      else await writeSse(res, chatStreamFrames({ text: ["You asked about Paris."] }));
    });
    const p = await proxy(chatYaml(up, "proxy_settings:\n  traces: { capture: full }\n"), { YALLMP_ADMIN_PASSWORD: "admin-pw-123" });
    const { ws, frames } = await connect(p, { authorization: "Bearer client-secret" });
    const metrics = await (await fetch(`${p.url}/metrics`, { headers: { authorization: "Bearer admin-pw-123" } })).text();
    expect(metrics).toMatch(/^yallmp_responses_websockets_open 1$/m);

    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", store: false, tools: [weatherTool], input: "Weather in Paris?" }));
    const first = expectOneResponse(await turnFrames(frames, 0));
    const call = (first.output as Frame[]).find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(first.store).toBe(false);

    const n1 = frames.length;
    ws.send(
      JSON.stringify({
        type: "response.create",
        model: "ws-chat",
        store: false,
        tools: [weatherTool],
        previous_response_id: first.id,
        input: [{ type: "function_call_output", call_id: call.call_id, output: '{"sky":"sunny"}' }],
      }),
    );
    const second = expectOneResponse(await turnFrames(frames, n1));
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output[0].content[0].text).toBe("It is sunny in Paris.");

    const n2 = frames.length;
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", store: false, previous_response_id: second.id, input: "What city did I ask about?" }));
    const third = expectOneResponse(await turnFrames(frames, n2));
    expect(third.output[0].content[0].text).toBe("You asked about Paris.");

    // The upstream got the whole conversation each turn, rebuilt from the socket's own chain.
    const last = up.requests[2]!.json!.messages as Frame[];
    expect(last.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "user"]);
    expect(last[1]!.tool_calls[0]).toMatchObject({ id: "call_1", function: { name: "get_weather" } });
    expect(last[2]).toMatchObject({ tool_call_id: "call_1", content: '{"sky":"sunny"}' });
    expect(last[3]!.content).toBe("It is sunny in Paris.");
    expect(last[4]!.content).toBe("What city did I ask about?");
    // store:false: nothing was stored, so HTTP cannot continue the chain.
    const http = await fetch(`${p.url}/v1/responses/${second.id}`);
    expect(http.status).toBe(404);
    // Each turn is a request of its own: its log line, its trace (as full as an HTTP one), its metrics.
    // The last turn's line is written once its frames are out, so it may trail them.
    const turnLines = () => p.logs().filter((l) => l.msg === "request" && l.model === "ws-chat" && l.websocket === true);
    for (let i = 0; i < 50 && turnLines().length < 3; i++) await sleep(100);
    expect(turnLines()).toHaveLength(3);
    const admin = { authorization: "Bearer admin-pw-123" };
    let traces: Frame[] = [];
    for (let i = 0; i < 50 && traces.length < 3; i++) {
      traces = ((await (await fetch(`${p.url}/admin/traces?model=ws-chat`, { headers: admin })).json()) as { data: Frame[] }).data;
      if (traces.length < 3) await sleep(100);
    }
    expect(traces).toHaveLength(3);
    const trace = (await (await fetch(`${p.url}/admin/traces/${traces.at(-1)!.id}`, { headers: admin })).json()) as Frame;
    expect(trace).toMatchObject({ status: 200, clientFormat: "responses", backendFormat: "chat" });
    expect(trace.clientRequest.headers.authorization).toBe("[redacted]");
    expect(trace.upstreamRequest.url).toBe(`${up.url}/chat/completions`);
    expect(trace.clientEvents.map((e: Frame) => e.data).join("")).toContain("response.completed");
    expect(JSON.stringify(trace)).not.toContain("client-secret");
    const after = await (await fetch(`${p.url}/metrics`, { headers: admin })).text();
    expect(after).toMatch(/^yallmp_requests_total\{[^}]*model="ws-chat"[^}]*\} 3$/m);
  });

  it("runs the same chain on an Anthropic backend through the openai SDK's ResponsesWS client", async () => {
    const answers = [
      [
        anthropicFrame("message_start", {
          message: {
            id: "msg_1",
            type: "message",
            role: "assistant",
            model: "claude-up",
            content: [],
            stop_reason: null,
            usage: { input_tokens: 9, output_tokens: 1 },
          },
        }),
        anthropicFrame("content_block_start", { index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "get_weather", input: {} } }),
        anthropicFrame("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: '{"city":"Oslo"}' } }),
        anthropicFrame("content_block_stop", { index: 0 }),
        anthropicFrame("message_delta", { delta: { stop_reason: "tool_use" }, usage: { output_tokens: 5 } }),
        anthropicFrame("message_stop"),
      ],
      ...["Snowing in Oslo.", "Oslo, again."].map((text, k) => [
        anthropicFrame("message_start", {
          message: {
            id: `msg_${k + 2}`,
            type: "message",
            role: "assistant",
            model: "claude-up",
            content: [],
            stop_reason: null,
            usage: { input_tokens: 20, output_tokens: 1 },
          },
        }),
        anthropicFrame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
        anthropicFrame("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
        anthropicFrame("content_block_stop", { index: 0 }),
        anthropicFrame("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 4 } }),
        anthropicFrame("message_stop"),
      ]),
    ];
    const up = await upstream(async (req, res, i) => {
      if (req.headers["x-api-key"] !== "sk-ant-up") return sendJson(res, 401, { type: "error", error: { type: "authentication_error", message: "bad key" } });
      await writeSse(res, answers[i]!);
    });
    const p = await proxy(`
model_list:
  - model_name: ws-claude
    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-ant-up, model: claude-up }
router_settings: { num_retries: 0 }
`);
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const rws = new ResponsesWS(client);
    cleanup.push(() => rws.close());
    const errors: unknown[] = [];
    rws.on("error", (e) => errors.push(e));
    const completed = () => new Promise<any>((resolve) => rws.once("response.completed", (e) => resolve(e.response)));

    let done = completed();
    rws.send({ type: "response.create", model: "ws-claude", store: false, tools: [weatherTool as never], input: "Weather in Oslo?" });
    const first = await done;
    const call = first.output.find((o: Frame) => o.type === "function_call");
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Oslo"}', call_id: "toolu_1" });

    done = completed();
    rws.send({
      type: "response.create",
      model: "ws-claude",
      store: false,
      tools: [weatherTool as never],
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "toolu_1", output: "snow" }],
    });
    const second = await done;
    expect(second.output_text ?? second.output[0].content[0].text).toBe("Snowing in Oslo.");

    done = completed();
    rws.send({ type: "response.create", model: "ws-claude", store: false, previous_response_id: second.id, input: "And again?" });
    const third = await done;
    expect(third.output[0].content[0].text).toBe("Oslo, again.");
    expect(errors).toEqual([]);

    const messages = up.requests[2]!.json!.messages as Frame[];
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(messages[1]!.content[0]).toMatchObject({ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } });
    expect(messages[2]!.content[0]).toMatchObject({ type: "tool_result", tool_use_id: "toolu_1" });
    expect(JSON.stringify(messages[4])).toContain("And again?");
  });

  it("checks app keys on the upgrade: refused with 401 before any frame, served with the key in Authorization", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["ok"] })));
    const p = await proxy(chatYaml(up, "app_keys:\n  enabled: true\n  keys:\n    - { key_id: dev, secret: sk-dev-secret }\n"));
    const url = `${p.url.replace("http", "ws")}/v1/responses`;
    const none = await refusedUpgrade(url);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ type: "authentication_error" });
    const wrong = await refusedUpgrade(url, { authorization: "Bearer sk-wrong" });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain("sk-wrong");
    expect(up.requests).toHaveLength(0);

    const { ws, frames } = await connect(p, { authorization: "Bearer sk-dev-secret" });
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "hi" }));
    expectOneResponse(await turnFrames(frames, 0));
    for (let i = 0; i < 50 && !p.logs().some((l) => l.msg === "request" && l.model === "ws-chat"); i++) await sleep(20);
    expect(p.logs().find((l) => l.msg === "request" && l.model === "ws-chat")?.key).toBe("dev");
  });

  it("answers bad frames with error events and keeps the socket usable", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["fine"] })));
    const p = await proxy(chatYaml(up));
    const { ws, frames } = await connect(p);
    const bad: Array<[string | Buffer, number, string | null]> = [
      ["not json", 400, "invalid_json"],
      [Buffer.from([1, 2, 3]), 400, "invalid_frame"],
      [JSON.stringify({ type: "session.update" }), 400, "unknown_event_type"],
      [JSON.stringify({ type: "response.create", input: "no model" }), 400, "invalid_value"],
      [JSON.stringify({ type: "response.create", model: "ws-chat", input: 5 }), 400, "invalid_value"],
      [JSON.stringify({ type: "response.create", model: "ws-chat", input: "x", background: true }), 400, "unsupported_parameter"],
      [JSON.stringify({ type: "response.create", model: "no-such-model", input: "x" }), 404, "model_not_found"],
      [JSON.stringify({ type: "response.create", model: "ws-chat", input: "x", previous_response_id: "resp_gone" }), 400, "previous_response_not_found"],
      ["[".repeat(5000), 400, "json_too_deep"],
    ];
    for (const [data, status, code] of bad) {
      const from = frames.length;
      ws.send(data, { binary: Buffer.isBuffer(data) });
      const [err] = await turnFrames(frames, from);
      expect(err, String(data).slice(0, 40)).toMatchObject({ type: "error", status, error: { code } });
      expect(typeof err!.error.message).toBe("string");
    }
    expect(up.requests).toHaveLength(0);
    const from = frames.length;
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "still there?" }));
    expectOneResponse(await turnFrames(frames, from));
  });

  it("a continuation that fails drops the response it continued from the socket, as OpenAI does", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["OK"] })));
    const p = await proxy(chatYaml(up));
    const { ws, frames } = await connect(p);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", store: false, input: "Remember: ember." }));
    const first = expectOneResponse(await turnFrames(frames, 0));
    let n = frames.length;
    // A tool output that answers no call of the conversation is refused before any upstream call.
    ws.send(
      JSON.stringify({
        type: "response.create",
        model: "ws-chat",
        store: false,
        previous_response_id: first.id,
        input: [{ type: "function_call_output", call_id: "call_missing", output: "x" }],
      }),
    );
    expect((await turnFrames(frames, n))[0]).toMatchObject({ type: "error", status: 400, error: { code: "tool_output_without_call", param: "input" } });
    n = frames.length;
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", store: false, previous_response_id: first.id, input: "again" }));
    expect((await turnFrames(frames, n))[0]).toMatchObject({ type: "error", status: 400, error: { code: "previous_response_not_found" } });
    expect(up.requests).toHaveLength(1);
  });

  it("closes a socket whose frame is over the bound with 1009, and one left idle", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["x"] })));
    const p = await proxy(chatYaml(up, "proxy_settings:\n  responses:\n    websocket: { max_frame_mb: 0.01, idle_timeout_seconds: 0.3 }\n"));
    const big = await connect(p);
    const closed = new Promise<number>((r) => big.ws.once("close", (code) => r(code)));
    big.ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "x".repeat(20_000) }));
    expect(await closed).toBe(1009);
    const idle = await connect(p);
    const idleClosed = new Promise<number>((r) => idle.ws.once("close", (code) => r(code)));
    expect(await idleClosed).toBe(1000);
  });

  it("keeps a socket open past the HTTP request and header timeouts", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["later"] })));
    const p = await proxy(chatYaml(up, "proxy_settings:\n  server: { header_timeout_seconds: 0.3, body_timeout_seconds: 0.5 }\n"));
    const { ws, frames } = await connect(p);
    let closed = false;
    ws.once("close", () => (closed = true));
    await sleep(1500);
    expect(closed).toBe(false);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "still here" }));
    expectOneResponse(await turnFrames(frames, 0));
  });

  it("follows config changes: a key removed stops its open socket, and WebSocket mode turned off refuses new upgrades", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["ok"] })));
    const keys = (id: string) => `app_keys:\n  enabled: true\n  keys:\n    - { key_id: ${id}, secret: sk-${id}-secret }\n`;
    const dir = mkdtempSync(join(tmpdir(), "yallmp-ws-config-"));
    const p = await startProxy(chatYaml(up, keys("dev")), { YALLMP_ADMIN_PASSWORD: "admin-pw-123" }, { configPath: join(dir, "config.yaml") });
    cleanup.push(p.close);
    const { ws, frames } = await connect(p, { authorization: "Bearer sk-dev-secret" });
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "one" }));
    expectOneResponse(await turnFrames(frames, 0));
    const put = (yaml: string) =>
      fetch(`${p.url}/admin/config`, {
        method: "PUT",
        headers: { authorization: "Bearer admin-pw-123", "content-type": "application/json" },
        body: JSON.stringify({ yaml, author: "test" }),
      });
    expect((await put(chatYaml(up, keys("other")))).status).toBe(200);
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    const n = frames.length;
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "two" }));
    expect((await turnFrames(frames, n))[0]).toMatchObject({ type: "error", status: 401 });
    expect(await closed).toBe(1008);
    expect(up.requests).toHaveLength(1);

    expect((await put(chatYaml(up, `${keys("other")}proxy_settings:\n  enable_responses_websocket: false\n`))).status).toBe(200);
    const refused = await refusedUpgrade(`${p.url.replace("http", "ws")}/v1/responses`, { authorization: "Bearer sk-other-secret" });
    expect(refused.status).toBe(426);
  });

  it("ends a socket past max_connection_minutes after its running turn, refusing new turns with websocket_connection_limit_reached", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      for (const f of chatStreamFrames({ text: ["aging ", "turn"] })) {
        res.write(f);
        await sleep(120);
      }
      res.end();
    });
    const p = await proxy(chatYaml(up, "proxy_settings:\n  responses:\n    websocket: { max_connection_minutes: 0.01 }\n"));
    const { ws, frames } = await connect(p);
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    await sleep(300);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "slow" }));
    // The socket turns 0.6 s old while this turn runs (it ends near 1 s).
    await sleep(400);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "too late" }));
    const refusal = await turnFrames(frames, 0, (f) => f.type === "error");
    expect(refusal.at(-1)).toMatchObject({ status: 400, error: { code: "websocket_connection_limit_reached" } });
    expect(await closed).toBe(1000);
    expect(frames.filter((f) => f.type === "response.completed")).toHaveLength(1);
    expect(up.requests).toHaveLength(1);
  });

  it("answers the upgrade 426 when WebSocket mode is off, while HTTP keeps working", async () => {
    const up = await upstream(async (req, res) => (req.json?.stream ? writeSse(res, chatStreamFrames({ text: ["http"] })) : sendJson(res, 500, {})));
    const p = await proxy(chatYaml(up, "proxy_settings:\n  enable_responses_websocket: false\n"));
    const refused = await refusedUpgrade(`${p.url.replace("http", "ws")}/v1/responses`);
    expect(refused.status).toBe(426);
    expect(refused.body.error).toMatchObject({ code: "websocket_mode_disabled" });
    const http = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "ws-chat", input: "hi", stream: true }),
    });
    expect(http.status).toBe(200);
    expect(await http.text()).toContain("response.completed");
  });

  it("refuses a broken WebSocket handshake with 400 in OpenAI's shape", async () => {
    const up = await upstream(async (_req, res) => sendJson(res, 500, {}));
    const p = await proxy(chatYaml(up));
    const { port } = new URL(p.url);
    const socket = connectTcp(Number(port), "127.0.0.1");
    socket.write(
      "GET /v1/responses HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: nope\r\n\r\n",
    );
    let text = "";
    socket.on("data", (c: Buffer) => (text += c.toString()));
    await once(socket, "close");
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    expect(text).toContain('"code":"invalid_upgrade"');
  });

  it("a plain GET /v1/responses (no upgrade) is told to upgrade", async () => {
    const up = await upstream(async (_req, res) => sendJson(res, 500, {}));
    const p = await proxy(chatYaml(up));
    const res = await fetch(`${p.url}/v1/responses`);
    expect(res.status).toBe(426);
    expect(res.headers.get("upgrade")).toBe("websocket");
  });

  it("cancels the upstream call when the client disconnects mid-turn", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      res.write(chatStreamFrames({ text: ["first "] })[1]!);
      for (let i = 0; i < 200 && !res.destroyed; i++) {
        res.write(chatStreamFrames({ text: ["more "] })[1]!);
        await sleep(25);
      }
      res.end();
    });
    const p = await proxy(chatYaml(up));
    const { ws, frames } = await connect(p);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "long story" }));
    await turnFrames(frames, 0, (f) => f.type === "response.output_text.delta");
    const leftAt = performance.now();
    ws.terminate();
    for (let i = 0; i < 100 && up.requests[0]!.closedAt === undefined; i++) await sleep(20);
    expect(up.requests[0]!.closedAt).toBeDefined();
    expect(up.requests[0]!.closedAt! - leftAt).toBeLessThan(1000);
    for (let i = 0; i < 50 && !p.logs().some((l) => l.msg === "request" && l.model === "ws-chat"); i++) await sleep(20);
    expect(p.logs().find((l) => l.msg === "request" && l.model === "ws-chat")?.status).toBe(499);
  });

  it("passes a native Responses backend's stream through over HTTP upstream, continuing store:false turns from the socket's chain", async () => {
    const up = await upstream(async (req, res, i) => writeSse(res, responsesTextFrames(`resp_up${i + 1}`, [`answer ${i + 1}`])));
    const p = await proxy(`
model_list:
  - model_name: ws-native
    model_params: { api_type: openai-responses, api_base: ${up.url}, api_key: sk-up, model: gpt-up }
router_settings: { num_retries: 0 }
`);
    const { ws, frames } = await connect(p);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-native", store: false, input: "one" }));
    const turn1 = await turnFrames(frames, 0);
    // Event for event what the upstream streamed (the upstream numbers them, the proxy relays them).
    expect(turn1.map((f) => f.type)).toEqual(responsesTextEvents("resp_up1", ["answer 1"]).map((e) => e.type));
    const first = expectOneResponse(turn1);
    expect(first.id).toBe("resp_up1");
    const n = frames.length;
    ws.send(JSON.stringify({ type: "response.create", model: "ws-native", store: false, previous_response_id: "resp_up1", input: "two" }));
    expect(expectOneResponse(await turnFrames(frames, n)).id).toBe("resp_up2");
    const sent = up.requests[1]!.json!;
    expect(up.requests[1]!.url).toBe("/v1/responses");
    expect(sent.stream).toBe(true);
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.model).toBe("gpt-up");
    const input = sent.input as Frame[];
    expect(input.map((m) => [m.role, JSON.stringify(m.content)])).toEqual([
      ["user", expect.stringContaining("one")],
      ["assistant", expect.stringContaining("answer 1")],
      ["user", expect.stringContaining("two")],
    ]);
  });

  it("passes an upstream's refusal on as an error frame with its status, native and translated", async () => {
    const native = await upstream(async (_req, res) =>
      sendJson(res, 400, { error: { message: "Invalid 'input[0]': bad.", type: "invalid_request_error", param: "input", code: "invalid_value" } }),
    );
    const chat = await upstream(async (_req, res) =>
      sendJson(res, 429, { error: { message: "Slow down.", type: "rate_limit_error", param: null, code: "rate_limited" } }),
    );
    const p = await proxy(`
model_list:
  - model_name: ws-native
    model_params: { api_type: openai-responses, api_base: ${native.url}, api_key: sk-up, model: gpt-up }
  - model_name: ws-chat
    model_params: { api_type: openai, api_base: ${chat.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
    const { ws, frames } = await connect(p);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-native", input: "x" }));
    expect((await turnFrames(frames, 0))[0]).toEqual({
      type: "error",
      status: 400,
      error: { message: "Invalid 'input[0]': bad.", type: "invalid_request_error", param: "input", code: "invalid_value" },
    });
    const n = frames.length;
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "x" }));
    expect((await turnFrames(frames, n))[0]).toMatchObject({ type: "error", status: 429, error: { message: "Slow down.", code: "rate_limited" } });
  });

  it("takes a generate:false warm-up without calling the model, and continues from it", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["warm answer"] })));
    const p = await proxy(chatYaml(up));
    const { ws, frames } = await connect(p);
    ws.send(
      JSON.stringify({
        type: "response.create",
        model: "ws-chat",
        store: false,
        stream: true,
        generate: false,
        instructions: "Be brief.",
        input: "context first",
      }),
    );
    const warm = await turnFrames(frames, 0);
    const warmed = expectOneResponse(warm);
    expect(warmed.output).toEqual([]);
    expect(warmed.instructions).toBe("Be brief.");
    expect(up.requests).toHaveLength(0);
    // Codex acknowledges a response it handled; nothing is answered to that.
    ws.send(JSON.stringify({ type: "response.processed", response_id: warmed.id }));
    const n = frames.length;
    ws.send(
      JSON.stringify({
        type: "response.create",
        model: "ws-chat",
        store: false,
        instructions: "Be brief.",
        previous_response_id: warmed.id,
        input: "then the question",
      }),
    );
    expectOneResponse(await turnFrames(frames, n));
    expect(frames.slice(n)[0]!.type).toBe("response.created");
    const messages = up.requests[0]!.json!.messages as Frame[];
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ["system", "Be brief."],
      ["user", "context first"],
      ["user", "then the question"],
    ]);
  });

  it("holds a key's turns to its concurrency limit, as on HTTP", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const up = await upstream(async (_req, res, i) => {
      if (i === 0) await gate;
      await writeSse(res, chatStreamFrames({ text: ["done"] }));
    });
    const p = await proxy(
      chatYaml(up, "app_keys:\n  enabled: true\n  keys:\n    - { key_id: dev, secret: sk-dev-secret, concurrency_limit: 1, queue_timeout: 0.2 }\n"),
    );
    const auth = { authorization: "Bearer sk-dev-secret" };
    const a = await connect(p, auth);
    const b = await connect(p, auth);
    a.ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "slow" }));
    for (let i = 0; i < 100 && up.requests.length === 0; i++) await sleep(10);
    b.ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "second" }));
    const [refused] = await turnFrames(b.frames, 0);
    expect(refused).toMatchObject({ type: "error", status: 429 });
    release();
    expectOneResponse(await turnFrames(a.frames, 0));
  });

  it("on SIGTERM: an idle socket closes at once, a turn in flight is answered before its socket closes, new upgrades get 503", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      const frames = chatStreamFrames({ text: ["slow ", "but ", "whole"] });
      for (const f of frames) {
        res.write(f);
        await sleep(150);
      }
      res.end();
    });
    const proc = await spawnProxy(chatYaml(up, "proxy_settings:\n  server: { shutdown_grace_seconds: 10 }\n"));
    cleanup.push(() => proc.kill("SIGKILL"));
    const running = { url: proc.url } as RunningProxy;
    const idle = await connect(running);
    const busy = await connect(running);
    const closes = [idle, busy].map(({ ws }) => new Promise<number>((r) => ws.once("close", (code) => r(code))));
    busy.ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "take your time" }));
    await turnFrames(busy.frames, 0, (f) => f.type === "response.output_text.delta");
    const exited = once(proc.child, "exit");
    proc.child.kill("SIGTERM");
    expect(await closes[0]).toBe(1001);
    expect(busy.ws.readyState).toBe(WebSocket.OPEN);
    const late = await refusedUpgrade(`${proc.url.replace("http", "ws")}/v1/responses`);
    expect(late.status).toBe(503);
    expect(late.body.error).toMatchObject({ code: "shutting_down" });
    expect(await closes[1]).toBe(1001);
    expect(expectOneResponse(busy.frames).output[0].content[0].text).toBe("slow but whole");
    await exited;
  });

  it("closes open sockets with 1001 when the proxy shuts down", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, chatStreamFrames({ text: ["x"] })));
    const p = await startProxy(chatYaml(up));
    const { ws, frames } = await connect(p);
    ws.send(JSON.stringify({ type: "response.create", model: "ws-chat", input: "hi" }));
    expectOneResponse(await turnFrames(frames, 0));
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    await p.close();
    expect(await closed).toBe(1001);
  });
});

/** A Responses text answer's events, as OpenAI streams them. */
function responsesTextEvents(id: string, parts: string[]): Frame[] {
  const base = {
    id,
    object: "response",
    created_at: 1765552659,
    model: "gpt-up",
    error: null,
    incomplete_details: null,
    instructions: null,
    tools: [],
    metadata: {},
  };
  const text = parts.join("");
  const item = {
    id: `msg_${id}`,
    type: "message",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
  };
  const usage = {
    input_tokens: 5,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 2,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 7,
  };
  const events: Frame[] = [
    { type: "response.created", response: { ...base, status: "in_progress", output: [], usage: null } },
    { type: "response.in_progress", response: { ...base, status: "in_progress", output: [], usage: null } },
    { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } },
    { type: "response.content_part.added", item_id: item.id, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } },
    ...parts.map((delta) => ({ type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0, delta, logprobs: [] })),
    { type: "response.output_text.done", item_id: item.id, output_index: 0, content_index: 0, text, logprobs: [] },
    { type: "response.content_part.done", item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] },
    { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: { ...base, status: "completed", output: [item], usage } },
  ];
  return events.map((e, i) => ({ ...e, sequence_number: i }));
}

function responsesTextFrames(id: string, parts: string[]): string[] {
  return responsesTextEvents(id, parts).map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
}
