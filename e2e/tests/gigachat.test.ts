// `api_type: gigachat` against a loopback HTTPS GigaChat that demands a client certificate: OAuth
// tokens (one fetch shared, refreshed at expiry and after a 401), mTLS, and a tool round trip through
// Chat, Responses and Messages clients, streamed and not.

import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, sleep, startProxy } from "../lib/harness.js";
import { type FakeGigaChat, type Pki, STATE_ID, makePki, startFakeGigaChat } from "../lib/gigachat-server.js";

const AUTH_KEY = Buffer.from("client-id:client-secret").toString("base64");

let pki: Pki;
let giga: FakeGigaChat;
let cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  pki = makePki();
  giga = await startFakeGigaChat(pki);
});
afterAll(async () => {
  await giga.close();
  pki.remove();
});
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  giga.oauth.length = 0;
  giga.chats.length = 0;
  giga.lifetimeMs = 30 * 60_000;
  giga.requireToken = true;
  giga.oauthAnswer = undefined;
  giga.chatAnswer = undefined;
});

/** A proxy with model `giga`; `params` replace or add model_params (null drops one). */
async function proxy(params: Record<string, string | boolean | null> = {}): Promise<RunningProxy> {
  const base: Record<string, string | boolean | null> = {
    api_type: "gigachat",
    mode: "cloud",
    api_base: `${giga.origin}/api/v1`,
    auth_url: `${giga.origin}/api/v2/oauth`,
    api_key: AUTH_KEY,
    scope: "GIGACHAT_API_PERS",
    model: "GigaChat-2-Max",
    client_cert: pki.clientCert,
    client_key: pki.clientKey,
    ca_cert: pki.caCert,
    ...params,
  };
  const lines = Object.entries(base)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`);
  const p = await startProxy(`
model_list:
  - model_name: giga
    model_params:
${lines.join("\n")}
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return p;
}

const openai = (p: RunningProxy) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
const anthropic = (p: RunningProxy) => new Anthropic({ baseURL: p.url, apiKey: "k", maxRetries: 0 });
const ask = (p: RunningProxy, text = "hello") => openai(p).chat.completions.create({ model: "giga", messages: [{ role: "user", content: text }] });

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("GigaChat OAuth tokens", () => {
  it("fetches one token for concurrent requests, with Basic auth, an RqUID and the scope", async () => {
    const p = await proxy();
    const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => ask(p, `q${i}`)));
    expect(answers.map((a) => a.choices[0]!.message.content).sort()).toEqual(["echo: q1", "echo: q2", "echo: q3", "echo: q4", "echo: q5"]);
    expect(giga.oauth).toHaveLength(1);
    expect(giga.oauth[0]!.authorization).toBe(`Basic ${AUTH_KEY}`);
    expect(giga.oauth[0]!.rqUid).toMatch(/^[0-9a-f-]{36}$/);
    expect(giga.oauth[0]!.body).toBe("scope=GIGACHAT_API_PERS");
    expect(new Set(giga.chats.map((c) => c.authorization)).size).toBe(1);
    await ask(p);
    expect(giga.oauth).toHaveLength(1);
  });

  it("fetches a new token when the old one nears its expires_at", async () => {
    // 30.5 s of life: usable for half a second before the proxy's 30 s margin.
    giga.lifetimeMs = 30_500;
    const p = await proxy();
    await ask(p);
    await ask(p);
    expect(giga.oauth).toHaveLength(1);
    await sleep(700);
    await ask(p);
    expect(giga.oauth).toHaveLength(2);
    expect(giga.chats.map((c) => c.authorization)).toEqual([giga.chats[0]!.authorization, giga.chats[0]!.authorization, giga.chats[2]!.authorization]);
    expect(giga.chats[2]!.authorization).not.toBe(giga.chats[0]!.authorization);
  });

  it("answers a 401 from chat with one new token and a retry of the request", async () => {
    const p = await proxy();
    await ask(p);
    const first = giga.chats[0]!.authorization!.replace("Bearer ", "");
    giga.valid.delete(first);
    const again = await ask(p, "after revoke");
    expect(again.choices[0]!.message.content).toBe("echo: after revoke");
    expect(giga.oauth).toHaveLength(2);
    expect(giga.chats.map((c) => c.authorization)).toEqual([`Bearer ${first}`, `Bearer ${first}`, expect.not.stringContaining(first)]);
  });

  it("a chat that refuses every token: one new token, one retry, then GigaChat's 401 reaches the client", async () => {
    const p = await proxy();
    giga.chatAnswer = (_json, res) => {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ status: 401, message: "Token has expired" }));
      return true;
    };
    await expect(ask(p)).rejects.toMatchObject({ status: 401, message: expect.stringContaining("GigaChat: Token has expired") });
    expect(giga.oauth).toHaveLength(2);
    expect(giga.chats).toHaveLength(2);
  });

  it("local mode sends no token: the client certificate admits the proxy", async () => {
    giga.requireToken = false;
    const p = await proxy({ mode: "local", api_key: null });
    expect((await ask(p)).choices[0]!.message.content).toBe("echo: hello");
    expect(giga.oauth).toHaveLength(0);
    expect(giga.chats[0]!.authorization).toBeUndefined();
  });

  it("a refused key, a bad token answer and an oversized one are a clear 502", async () => {
    const wrong = await proxy({ api_key: Buffer.from("client-id:wrong").toString("base64") });
    await expect(ask(wrong)).rejects.toMatchObject({
      status: 502,
      message: expect.stringContaining("GigaChat token request answered 401: credentials doesn't match db data"),
    });
    const p = await proxy();
    giga.oauthAnswer = (res) => res.writeHead(200, { "content-type": "application/json" }).end("<html>");
    await expect(ask(p)).rejects.toMatchObject({ status: 502, message: expect.stringContaining("GigaChat token answer is not JSON") });
    giga.oauthAnswer = (res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ expires_at: 1 }));
    await expect(ask(p)).rejects.toMatchObject({ status: 502, message: expect.stringContaining("no access_token") });
    giga.oauthAnswer = (res) => res.writeHead(200, { "content-type": "application/json" }).end(`{"access_token":"${"x".repeat(100_000)}"}`);
    await expect(ask(p)).rejects.toMatchObject({ status: 502, message: expect.stringContaining("larger than 65536 bytes") });
    expect(giga.chats).toHaveLength(0);
  });
});

describe("GigaChat TLS", () => {
  it("the handshake fails without the client certificate, or with one the server does not trust", async () => {
    const bare = await proxy({ client_cert: null, client_key: null });
    await expect(ask(bare)).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/GigaChat token request to .* failed/) });
    const stranger = await proxy({ client_cert: pki.strangerCert, client_key: pki.strangerKey });
    await expect(ask(stranger)).rejects.toMatchObject({ status: 502 });
    expect(giga.oauth).toHaveLength(0);
    expect(giga.chats).toHaveLength(0);
  });

  it("the server's certificate is checked against ca_cert, or not at all with verify_ssl: false", async () => {
    const noCa = await proxy({ ca_cert: null });
    await expect(ask(noCa)).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/certificate/i) });
    const unchecked = await proxy({ ca_cert: null, verify_ssl: false });
    expect((await ask(unchecked)).choices[0]!.message.content).toBe("echo: hello");
  });
});

/** What GigaChat was sent on the turn after the tool ran. */
function expectToolResultTurn(): void {
  const sent = giga.chats[giga.chats.length - 1]!.json;
  const messages = sent.messages as Array<Record<string, unknown>>;
  expect(messages.find((m) => m.role === "assistant")).toMatchObject({
    function_call: { name: "get_weather", arguments: { city: "Paris" } },
    functions_state_id: STATE_ID,
  });
  expect(messages[messages.length - 1]).toEqual({ role: "function", name: "get_weather", content: JSON.stringify({ result: "sunny" }) });
}

const FINAL_TEXT = `Weather from get_weather: ${JSON.stringify({ result: "sunny" })}`;

describe("a tool round trip through GigaChat", () => {
  for (const stream of [false, true]) {
    it(`Chat Completions (openai SDK), ${stream ? "streamed" : "whole"}`, async () => {
      const c = openai(await proxy());
      const user = { role: "user" as const, content: "Weather in Paris?" };
      const run = async (messages: OpenAI.ChatCompletionMessageParam[]) => {
        if (!stream) return (await c.chat.completions.create({ model: "giga", messages, tools: [weather] })).choices[0]!;
        const s = c.chat.completions.stream({ model: "giga", messages, tools: [weather] });
        return (await s.finalChatCompletion()).choices[0]!;
      };
      const first = await run([user]);
      expect(first.finish_reason).toBe("tool_calls");
      const call = first.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call).toMatchObject({ id: `call_gc_${STATE_ID}`, type: "function", function: { name: "get_weather" } });
      expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
      expect(giga.chats[0]!.json).toMatchObject({
        model: "GigaChat-2-Max",
        function_call: "auto",
        functions: [weather.function],
        ...(stream ? { stream: true } : {}),
      });

      const second = await run([user, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: "sunny" }]);
      expect(second.finish_reason).toBe("stop");
      expect(second.message.content).toBe(FINAL_TEXT);
      expectToolResultTurn();
    });

    it(`Responses (openai SDK responses.create), ${stream ? "streamed" : "whole"}`, async () => {
      const c = openai(await proxy());
      const tools: OpenAI.Responses.Tool[] = [
        { type: "function", name: "get_weather", description: "Weather for a city", parameters: weather.function.parameters, strict: false },
      ];
      const run = async (input: OpenAI.Responses.ResponseInput) => {
        if (!stream) return c.responses.create({ model: "giga", input, tools });
        return c.responses.stream({ model: "giga", input, tools }).finalResponse();
      };
      const user: OpenAI.Responses.ResponseInputItem = { role: "user", content: "Weather in Paris?" };
      const first = await run([user]);
      const call = first.output.find((o) => o.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall | undefined;
      expect(call).toMatchObject({ name: "get_weather", call_id: `call_gc_${STATE_ID}` });
      expect(JSON.parse(call!.arguments)).toEqual({ city: "Paris" });
      expect(giga.chats[0]!.json.functions).toEqual([weather.function]);

      const second = await run([
        user,
        call as OpenAI.Responses.ResponseFunctionToolCall,
        { type: "function_call_output", call_id: call!.call_id, output: "sunny" },
      ]);
      expect(second.status).toBe("completed");
      expect(second.output_text).toBe(FINAL_TEXT);
      expect(second.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 });
      expectToolResultTurn();
    });

    it(`Messages (@anthropic-ai/sdk), ${stream ? "streamed" : "whole"}`, async () => {
      const c = anthropic(await proxy());
      const tools: Anthropic.Tool[] = [
        {
          name: "get_weather",
          description: "Weather for a city",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ];
      const run = async (messages: Anthropic.MessageParam[]) => {
        const params = { model: "giga", max_tokens: 256, messages, tools };
        return stream ? c.messages.stream(params).finalMessage() : c.messages.create(params);
      };
      const user: Anthropic.MessageParam = { role: "user", content: "Weather in Paris?" };
      const first = await run([user]);
      expect(first.stop_reason).toBe("tool_use");
      const use = first.content.find((b) => b.type === "tool_use");
      expect(use).toMatchObject({ id: `call_gc_${STATE_ID}`, name: "get_weather", input: { city: "Paris" } });

      const second = await run([
        user,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use!.id, content: "sunny" }] },
      ]);
      expect(second.stop_reason).toBe("end_turn");
      expect(second.content.map((b) => (b.type === "text" ? b.text : b.type))).toEqual([FINAL_TEXT]);
      expectToolResultTurn();
    });
  }
});

describe("GigaChat's errors and emulated tools", () => {
  it("long messages reach GigaChat whole from every client format", async () => {
    const p = await proxy();
    const long = "слово ".repeat(60_000);
    await ask(p, long);
    await openai(p).responses.create({ model: "giga", input: long, store: false });
    await anthropic(p).messages.create({ model: "giga", max_tokens: 10, messages: [{ role: "user", content: long }] });
    expect(giga.chats.map((c) => (c.json.messages as Array<{ content: string }>).at(-1)!.content === long)).toEqual([true, true, true]);
  });

  it("a 4xx from GigaChat reaches each client in its own format, with GigaChat's message", async () => {
    const p = await proxy();
    giga.chatAnswer = (_json, res) => {
      res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({ status: 422, message: "Invalid params: temperature" }));
      return true;
    };
    await expect(ask(p)).rejects.toMatchObject({ status: 422, message: expect.stringContaining("GigaChat: Invalid params: temperature") });
    await expect(openai(p).responses.create({ model: "giga", input: "hi" })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("Invalid params"),
    });
    const messages = anthropic(p).messages.create({ model: "giga", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    await expect(messages).rejects.toMatchObject({ status: 422, error: { type: "error", error: { message: expect.stringContaining("Invalid params") } } });
  });

  it("emulate_tool_calls: the tools go in the prompt and the JSON answer becomes a tool call", async () => {
    const p = await proxy({ emulate_tool_calls: true });
    let turn = 0;
    giga.chatAnswer = (json, res) => {
      turn += 1;
      // The first answer is not JSON of the asked shape: the proxy asks again with the reason.
      const content = turn === 1 ? '{"action":"dance"}' : '```json\n{"action":"call_tool","tool":"get_weather","arguments":{"city":"Paris",}}\n```';
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          choices: [{ message: { role: "assistant", content }, index: 0, finish_reason: "stop" }],
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
        }),
      );
      return json.functions === undefined;
    };
    const answer = await openai(p).chat.completions.create({
      model: "giga",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [weather],
      stream: true,
    });
    const calls: string[] = [];
    for await (const chunk of answer) for (const c of chunk.choices[0]?.delta.tool_calls ?? []) calls.push(`${c.function?.name}:${c.function?.arguments}`);
    expect(calls).toEqual([`get_weather:${JSON.stringify({ city: "Paris" })}`]);
    expect(giga.chats).toHaveLength(2);
    const system = (giga.chats[1]!.json.messages as Array<{ content: string }>)[0]!.content;
    expect(system).toContain('"name": "get_weather"');
    expect(system).toContain("Техническая причина: Tool emulation response field 'action' must be either 'call_tool' or 'final_answer'");
    expect(giga.chats[1]!.json.stream).toBeUndefined();
  });
});
