// Background Responses runs, which call the pipeline inside the proxy: how each way a run can end is
// stored (completed on a native backend even with capture off, failed with the upstream's own message,
// failed with the proxy's error), that a run outlives its client, and that it acts as the key that
// asked.

import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, chatCompletion, sendJson, sleep, startProxy, startUpstream } from "../lib/harness.js";

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

function nativeResponse(id: string, text: string): Record<string, unknown> {
  return {
    id,
    object: "response",
    created_at: 1,
    status: "completed",
    model: "up-native",
    output: [{ type: "message", id: `msg_${id}`, role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] }],
    usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 },
    error: null,
    incomplete_details: null,
  };
}

/** Polls a background response until it leaves queued/in_progress (or 5 s pass). */
async function settled(client: OpenAI, id: string): Promise<OpenAI.Responses.Response> {
  let polled = await client.responses.retrieve(id);
  for (let i = 0; i < 100 && (polled.status === "queued" || polled.status === "in_progress"); i++) {
    await sleep(50);
    polled = await client.responses.retrieve(id);
  }
  return polled;
}

async function proxyOn(yaml: string): Promise<RunningProxy> {
  const p = await startProxy(yaml);
  cleanups.push(p.close);
  return p;
}

describe("background runs", () => {
  it("complete on a native Responses backend with capture_passthrough off, stored under the queued id", async () => {
    const native = await startUpstream(async (req, res) => {
      await sleep(100);
      sendJson(res, 200, nativeResponse("resp_upstream1", `native saw: ${String(req.json?.background)}`));
    });
    cleanups.push(native.close);
    const p = await proxyOn(`
model_list:
  - model_name: native-m
    model_params: { api_type: openai-responses, api_base: ${native.url}, model: up-native }
proxy_settings:
  responses: { state: { capture_passthrough: false } }
`);
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "x", maxRetries: 0 });
    const queued = await client.responses.create({ model: "native-m", input: "hello", background: true });
    expect(queued.status).toBe("queued");
    const done = await settled(client, queued.id);
    expect(done.status).toBe("completed");
    expect(done.id).toBe(queued.id);
    expect(done.background).toBe(true);
    expect(done.output_text).toBe("native saw: false");
    expect(native.requests[0]!.json!.stream).toBe(false);
  });

  it("fail with the upstream's own message when a native backend refuses", async () => {
    const native = await startUpstream((_req, res) =>
      sendJson(res, 400, { error: { message: "tools[0] is not a tool", type: "invalid_request_error", code: "bad_tool", param: null } }),
    );
    cleanups.push(native.close);
    const p = await proxyOn(`
model_list:
  - model_name: native-m
    model_params: { api_type: openai-responses, api_base: ${native.url}, model: up-native }
`);
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "x", maxRetries: 0 });
    const queued = await client.responses.create({ model: "native-m", input: "hello", background: true });
    const done = await settled(client, queued.id);
    expect(done.status).toBe("failed");
    expect(done.error).toEqual({ code: "bad_tool", message: "tools[0] is not a tool" });
  });

  it("fail with the proxy's own error when a translated backend cannot be reached", async () => {
    const chat = await startUpstream((_req, res) => {
      res.socket?.destroy();
    });
    cleanups.push(chat.close);
    const p = await proxyOn(`
model_list:
  - model_name: chat-m
    model_params: { api_type: openai, api_base: ${chat.url}, model: up-chat }
router_settings: { num_retries: 0 }
`);
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "x", maxRetries: 0 });
    const queued = await client.responses.create({ model: "chat-m", input: "hello", background: true });
    const done = await settled(client, queued.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("upstream_unreachable");
    expect(done.error?.message).toContain("chat-m");
  });

  it("run to the end after their client has gone, as the key that asked, and are logged and traced", async () => {
    const chat = await startUpstream(async (_req, res) => {
      await sleep(300);
      sendJson(res, 200, chatCompletion("finished anyway"));
    });
    cleanups.push(chat.close);
    const p = await proxyOn(`
model_list:
  - model_name: chat-m
    model_params: { api_type: openai, api_base: ${chat.url}, model: up-chat }
    access_control: { allowed_keys: [team] }
app_keys:
  enabled: true
  keys:
    - { key_id: team, secret: sk-team-secret-1 }
    - { key_id: other, secret: sk-other-secret-1 }
`);
    // A raw request whose connection closes as soon as the queued answer is read.
    const res = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-team-secret-1", connection: "close", "x-request-id": "bg-client-1" },
      body: JSON.stringify({ model: "chat-m", input: "go on without me", background: true }),
    });
    const queued = (await res.json()) as { id: string; status: string };
    expect(queued.status).toBe("queued");
    const team = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "sk-team-secret-1", maxRetries: 0 });
    const done = await settled(team, queued.id);
    expect(done.status).toBe("completed");
    expect(done.output_text).toBe("finished anyway");
    const other = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "sk-other-secret-1", maxRetries: 0 });
    await expect(other.responses.retrieve(queued.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const line = p.logs().find((l) => l.msg === "request" && l.reqId === "bg-client-1");
    expect(line).toMatchObject({ key: "team", model: "chat-m", client: "responses", status: 200 });
  });
});
