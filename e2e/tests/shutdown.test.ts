// SIGTERM with requests in flight, the proxy as its own process: streams that finish within
// shutdown_grace_seconds are delivered whole, new requests meanwhile get a 503 in their client's
// format, and streams still running when the grace period ends are closed with their format's error
// event (a request still waiting for its upstream gets the 503), then the process exits.

import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { answerOf, type Wire } from "../lib/faults.js";
import { type ProxyProcess, type Upstream, sleep, spawnProxy, startUpstream } from "../lib/harness.js";
import { parseSse } from "../lib/scripted.js";

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const WIRE_OF_PATH: Record<string, Wire> = { "/chat/completions": "chat", "/responses": "responses", "/messages": "messages" };
const API_TYPE: Record<Wire, string> = { chat: "openai", responses: "openai-responses", messages: "anthropic" };

/**
 * `/slow/…` streams its first events and then waits, never finishing; `/finishing/…` finishes after
 * 600 ms; `/stall/…` never answers.
 */
async function slowUpstream(): Promise<Upstream> {
  const up = await startUpstream(async (req, res) => {
    const [, kind, path] = /^\/(\w+)\/v1(\/.*)$/.exec(req.url) ?? [];
    const wire = WIRE_OF_PATH[path ?? ""] ?? "chat";
    if (kind === "stall") return;
    const answer = answerOf(wire);
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const f of answer.partialFrames) res.write(f);
    if (kind === "finishing") {
      await sleep(600);
      for (const f of answer.frames.slice(answer.partialFrames.length)) res.write(f);
      res.end();
    }
  });
  cleanups.push(up.close);
  return up;
}

async function proxyOn(up: Upstream, graceSeconds: number): Promise<ProxyProcess> {
  const root = up.url.replace(/\/v1$/, "");
  const models = ["slow", "finishing", "stall"].flatMap((kind) =>
    (["chat", "responses", "messages"] as Wire[]).map(
      (wire) => `  - { model_name: ${kind}-${wire}, model_params: { api_type: ${API_TYPE[wire]}, api_base: "${root}/${kind}/v1" } }`,
    ),
  );
  const p = await spawnProxy(`
model_list:
${models.join("\n")}
router_settings: { num_retries: 0 }
proxy_settings:
  server: { shutdown_grace_seconds: ${graceSeconds} }
`);
  cleanups.push(() => p.kill("SIGKILL"));
  return p;
}

const CLIENT_PATH: Record<Wire, string> = { chat: "/v1/chat/completions", responses: "/v1/responses", messages: "/v1/messages" };

function requestBody(client: Wire, model: string, stream: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = client === "responses" ? { input: "hi" } : { messages: [{ role: "user", content: "hi" }], ...(client === "messages" ? { max_tokens: 64 } : {}) };
  return { model, stream, ...base, ...extra };
}

interface Started {
  /** Resolves with the whole answer once the proxy ends it. */
  text: Promise<string>;
  status: number;
}

/** Starts a streaming request and waits for its first bytes, so it is surely in flight. */
async function startStream(p: ProxyProcess, client: Wire, model: string, extra: Record<string, unknown> = {}): Promise<Started> {
  const res = await fetch(`${p.url}${CLIENT_PATH[client]}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(requestBody(client, model, true, extra)),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value, { stream: true });
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { status: res.status, text: rest };
}

describe("SIGTERM with requests in flight", () => {
  it("lets a stream that ends within the grace period finish, and refuses new requests with a 503 meanwhile", async () => {
    const up = await slowUpstream();
    const p = await proxyOn(up, 5);
    const stream = await startStream(p, "chat", "finishing-chat");
    const exited = once(p.child, "exit");
    p.child.kill("SIGTERM");
    await sleep(150);

    const refused = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(requestBody("chat", "finishing-chat", false)),
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: "shutting_down", type: "server_error" } });
    const refusedMessages = await fetch(`${p.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(requestBody("messages", "finishing-messages", false)),
    });
    expect(refusedMessages.status).toBe(503);
    expect(await refusedMessages.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });

    const frames = parseSse(await stream.text);
    expect(frames.at(-1)?.data).toBe("[DONE]");
    expect(frames.some((f) => f.json?.error)).toBe(false);
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it("after the grace period ends every stream with its format's error event and answers a waiting request 503, then exits", async () => {
    const up = await slowUpstream();
    const p = await proxyOn(up, 1);
    const streams = {
      chat: await startStream(p, "chat", "slow-chat"),
      responsesRelayed: await startStream(p, "responses", "slow-responses", { store: false }),
      responsesStored: await startStream(p, "responses", "slow-responses"),
      messages: await startStream(p, "messages", "slow-messages"),
      chatOnMessages: await startStream(p, "chat", "slow-messages"),
      messagesOnResponses: await startStream(p, "messages", "slow-responses"),
    };
    const waiting = fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(requestBody("chat", "stall-chat", false)),
    });
    await sleep(100);
    const exited = once(p.child, "exit");
    const signalledAt = performance.now();
    p.child.kill("SIGTERM");

    const texts = Object.fromEntries(await Promise.all(Object.entries(streams).map(async ([k, s]) => [k, await s.text] as const))) as Record<
      keyof typeof streams,
      string
    >;
    expect(performance.now() - signalledAt).toBeGreaterThan(900);

    for (const key of ["chat", "chatOnMessages"] as const) {
      expect(parseSse(texts[key]).at(-1)?.json).toMatchObject({ error: { code: "shutting_down", message: expect.stringMatching(/shutting down/) } });
    }
    for (const key of ["messages", "messagesOnResponses"] as const) {
      const last = parseSse(texts[key]).at(-1);
      expect(last?.event).toBe("error");
      expect(last?.json).toMatchObject({ type: "error", error: { type: "overloaded_error", message: expect.stringMatching(/shutting down/) } });
    }
    for (const key of ["responsesRelayed", "responsesStored"] as const) {
      const frames = parseSse(texts[key]);
      expect(frames.slice(-2).map((f) => f.event)).toEqual(["error", "response.failed"]);
      const numbers = frames.map((f) => f.json?.sequence_number);
      expect(numbers).toEqual(numbers.map((_, i) => i));
      expect(frames.at(-2)?.json).toMatchObject({ code: "shutting_down", message: expect.stringMatching(/shutting down/) });
      expect(frames.at(-1)?.json.response).toMatchObject({
        id: "resp_up1",
        status: "failed",
        error: { code: "shutting_down", message: expect.stringMatching(/shutting down/) },
      });
    }

    const waited = await waiting;
    expect(waited.status).toBe(503);
    expect(await waited.json()).toMatchObject({ error: { code: "shutting_down" } });
    const [code] = await exited;
    expect(code).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(5000);
  });
});
