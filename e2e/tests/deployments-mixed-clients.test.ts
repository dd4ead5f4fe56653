// Real clients through one model group whose two deployments speak different wire formats: a
// loopback OpenAI chat-completions upstream and a loopback Anthropic Messages upstream, weighted
// 50/50. The `openai` SDK (Chat Completions and Responses, streamed and not) and Claude Code run
// turns through the group, tool-call round trips included, and never notice which deployment served
// a turn, even when a conversation changes deployment between the tool call and its result (the
// deployment it was on failing, so the router moves it). Both upstreams' counters prove both served.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLAUDE_BIN, claudeEnv, INSTALL_TIMEOUT_MS, ensureClis } from "../lib/clis.js";
import { type RecordedRequest, type RunningProxy, type Upstream, sendJson, sleep, startProxy, startUpstream } from "../lib/harness.js";
import { type ScriptedAnswer, anthropicFrame, chatCompletionOf, chatStreamFrames, writeSse } from "../lib/scripted.js";

const MAIN = "claude-opus-4-8";
/** Claude Code's model names (see claude-code.test.ts); each is a group of the same two deployments. */
const GROUPS = ["mixed", MAIN, "claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022"];
const MARKER = "yallmproxy-mixed-marker";

/** What either upstream answers, decided on the request's meaning, not its format. */
interface Turn {
  tools: string[];
  /** The last tool result the client sent back, if the conversation ends with one. */
  toolResult: string | undefined;
  prompt: string;
}

function script(t: Turn, callId: string): ScriptedAnswer {
  // Claude Code appends reminders to a tool result: its first line is the command's output.
  if (t.toolResult !== undefined) return { text: ["The tool said: ", t.toolResult.trim().split("\n")[0]!] };
  if (t.tools.includes("Bash") && t.prompt.includes(`run echo ${MARKER}`)) {
    return {
      text: ["Running it."],
      toolCalls: [{ id: callId, name: "Bash", argumentFragments: ['{"command":"echo ', MARKER, '","description":"Print the marker"}'] }],
    };
  }
  if (t.tools.includes("get_weather")) return { toolCalls: [{ id: callId, name: "get_weather", argumentFragments: ['{"city":', '"Paris"}'] }] };
  return { text: ["Hello from ", "the group."] };
}

type Part = { type: string; text?: string; content?: unknown; id?: string; tool_use_id?: string };
const textOf = (content: unknown): string =>
  typeof content === "string" ? content : Array.isArray(content) ? (content as Part[]).map((p) => (p.type === "text" ? (p.text ?? "") : "")).join("") : "";

function chatTurn(body: Record<string, unknown>): Turn {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const last = messages[messages.length - 1]!;
  const tools = ((body.tools ?? []) as Array<{ function: { name: string } }>).map((t) => t.function.name);
  const prompt = textOf([...messages].reverse().find((m) => m.role === "user")?.content);
  return { tools, toolResult: last.role === "tool" ? textOf(last.content) : undefined, prompt };
}

function anthropicTurn(body: Record<string, unknown>): Turn {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const last = messages[messages.length - 1]!;
  const tools = ((body.tools ?? []) as Array<{ name: string }>).map((t) => t.name);
  const result = Array.isArray(last.content) ? (last.content as Part[]).find((b) => b.type === "tool_result") : undefined;
  const userTexts = messages.filter((m) => m.role === "user").map((m) => textOf(m.content));
  return { tools, toolResult: result ? textOf(result.content) : undefined, prompt: userTexts.filter(Boolean).pop() ?? "" };
}

/** What an Anthropic server would refuse in this request, as its 400 message. */
function anthropicProblem(body: Record<string, unknown>): string | undefined {
  if (!Number.isInteger(body.max_tokens)) return "max_tokens: Field required";
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  if (!Array.isArray(messages) || messages[0]?.role !== "user") return "messages.0.role: first message must use the user role";
  for (const [i, m] of messages.entries()) {
    if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (i > 0 && messages[i - 1]!.role === m.role) return `messages.${i}: roles must alternate`;
    const uses = Array.isArray(m.content) ? (m.content as Part[]).filter((b) => b.type === "tool_use").map((b) => b.id) : [];
    const next = messages[i + 1]?.content;
    const results = Array.isArray(next) ? (next as Part[]).filter((b) => b.type === "tool_result").map((b) => b.tool_use_id) : [];
    if (m.role === "assistant" && uses.some((id) => !results.includes(id))) return `messages.${i + 1}: tool_use ids without tool_result blocks`;
  }
  return undefined;
}

function anthropicMessage(a: ScriptedAnswer, model: string): Record<string, unknown> {
  const content: Array<Record<string, unknown>> = [];
  if (a.text?.length) content.push({ type: "text", text: a.text.join("") });
  for (const c of a.toolCalls ?? []) content.push({ type: "tool_use", id: c.id, name: c.name, input: JSON.parse(c.argumentFragments.join("")) });
  const stop = a.toolCalls?.length ? "tool_use" : "end_turn";
  return {
    id: "msg_up",
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: 30, output_tokens: 8 },
  };
}

function anthropicFrames(a: ScriptedAnswer, model: string): string[] {
  const full = anthropicMessage(a, model);
  const frames = [anthropicFrame("message_start", { message: { ...full, content: [], stop_reason: null, usage: { input_tokens: 30, output_tokens: 1 } } })];
  let index = 0;
  if (a.text?.length) {
    frames.push(anthropicFrame("content_block_start", { index, content_block: { type: "text", text: "" } }));
    for (const t of a.text) frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "text_delta", text: t } }));
    frames.push(anthropicFrame("content_block_stop", { index: index++ }));
  }
  for (const c of a.toolCalls ?? []) {
    frames.push(anthropicFrame("content_block_start", { index, content_block: { type: "tool_use", id: c.id, name: c.name, input: {} } }));
    for (const f of c.argumentFragments) frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: f } }));
    frames.push(anthropicFrame("content_block_stop", { index: index++ }));
  }
  frames.push(anthropicFrame("message_delta", { delta: { stop_reason: full.stop_reason, stop_sequence: null }, usage: { output_tokens: 8 } }));
  frames.push(anthropicFrame("message_stop"));
  return frames;
}

/** A deployment's upstream, which the test can take down (503) to make the router move a conversation. */
interface Side {
  up: Upstream;
  down: boolean;
  /** Requests it answered (not the ones it refused while down). */
  served: RecordedRequest[];
  /** Called with each request it answers, before the answer is written. */
  onServed?: ((req: RecordedRequest) => void) | undefined;
}

function servedOn(side: Side, model: string): RecordedRequest[] {
  return side.served.filter((r) => r.json?.model === `up-${model}`);
}

async function side(format: "chat" | "anthropic"): Promise<Side> {
  const s: Side = { up: undefined as unknown as Upstream, down: false, served: [] };
  let calls = 0;
  s.up = await startUpstream(async (req: RecordedRequest, res: ServerResponse) => {
    if (s.down) return sendJson(res, 503, { error: { message: "deployment down", type: "server_error" } });
    const body = req.json!;
    const expected = format === "chat" ? "/v1/chat/completions" : "/v1/messages";
    if (req.url !== expected) return sendJson(res, 404, { error: { message: `unexpected ${req.url}` } });
    if (format === "anthropic") {
      const problem = anthropicProblem(body);
      if (problem) return sendJson(res, 400, { type: "error", error: { type: "invalid_request_error", message: problem } });
    }
    s.served.push(req);
    s.onServed?.(req);
    const id = `call_${format}_${++calls}`;
    const model = String(body.model);
    const a = script(format === "chat" ? chatTurn(body) : anthropicTurn(body), id);
    if (format === "chat")
      return body.stream === true ? writeSse(res, chatStreamFrames({ ...a, model })) : sendJson(res, 200, chatCompletionOf({ ...a, model }));
    return body.stream === true ? writeSse(res, anthropicFrames(a, model)) : sendJson(res, 200, anthropicMessage(a, model));
  });
  return s;
}

let chat: Side;
let anthropic: Side;
let p: RunningProxy;
let openai: OpenAI;

beforeAll(async () => {
  chat = await side("chat");
  anthropic = await side("anthropic");
  const entries = GROUPS.map(
    (g) => `  - model_name: ${g}
    model_info: { id: ${g}-chat }
    model_params: { api_type: openai, api_base: "${chat.up.url}", api_key: sk-chat, model: up-${g}, weight: 1 }
  - model_name: ${g}
    model_info: { id: ${g}-anthropic }
    model_params: { api_type: anthropic, api_base: "${anthropic.up.url}", api_key: sk-ant, model: up-${g}, weight: 1 }
`,
  ).join("");
  // Short cooldowns: a deployment taken down comes back (after one probe) as soon as it is up again.
  p = await startProxy(
    `model_list:\n${entries}router_settings: { routing_strategy: weighted, cooldown_seconds: 0.05, max_cooldown_seconds: 0.1, num_retries: 1 }\n`,
  );
  openai = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
});

afterAll(async () => {
  await p?.close();
  await chat?.up.close();
  await anthropic?.up.close();
});

beforeEach(async () => {
  chat.down = false;
  anthropic.down = false;
  // Whatever a test cooled down is open again.
  await sleep(150);
});

/** Only `on` is up: the turn goes there (after the other's failure, which the client never sees). */
async function only(on: Side): Promise<void> {
  chat.down = on !== chat;
  anthropic.down = on !== anthropic;
  await sleep(150);
}

const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather of a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("the openai SDK on a chat + Anthropic group", () => {
  it("Chat Completions and Responses, streamed and not, 50/50: every answer the same, both deployments served", async () => {
    const before = [servedOn(chat, "mixed").length, servedOn(anthropic, "mixed").length];
    for (let i = 0; i < 12; i++) {
      const res = await openai.chat.completions.create({ model: "mixed", messages: [{ role: "user", content: "hi" }] });
      expect(res.choices[0]!.message.content).toBe("Hello from the group.");
      expect(res.choices[0]!.finish_reason).toBe("stop");
      const stream = await openai.chat.completions.create({ model: "mixed", messages: [{ role: "user", content: "hi" }], stream: true });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("Hello from the group.");
      const r = await openai.responses.create({ model: "mixed", input: "hi" });
      expect(r.output_text).toBe("Hello from the group.");
      const events = await openai.responses.create({ model: "mixed", input: "hi", stream: true });
      let streamed = "";
      for await (const ev of events) if (ev.type === "response.output_text.delta") streamed += ev.delta;
      expect(streamed).toBe("Hello from the group.");
    }
    const toChat = servedOn(chat, "mixed").length - before[0]!;
    const toAnthropic = servedOn(anthropic, "mixed").length - before[1]!;
    expect(toChat + toAnthropic).toBe(48);
    // 48 fair coin flips: each side gets at least 6 but for a chance of about 1 in 10^8.
    expect(toChat, `chat ${toChat}, anthropic ${toAnthropic}`).toBeGreaterThanOrEqual(6);
    expect(toAnthropic, `chat ${toChat}, anthropic ${toAnthropic}`).toBeGreaterThanOrEqual(6);
  });

  it("a Chat Completions tool round trip whose call and result are served by different deployments, both ways", async () => {
    for (const [first, second] of [
      [chat, anthropic],
      [anthropic, chat],
    ] as const) {
      for (const stream of [false, true]) {
        await only(first);
        const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
        let call: OpenAI.ChatCompletionMessageToolCall;
        if (stream) {
          const s = openai.chat.completions.stream({ model: "mixed", messages, tools: [WEATHER], stream: true });
          const done = await s.finalChatCompletion();
          call = done.choices[0]!.message.tool_calls![0]!;
          expect(done.choices[0]!.finish_reason).toBe("tool_calls");
        } else {
          const res = await openai.chat.completions.create({ model: "mixed", messages, tools: [WEATHER] });
          expect(res.choices[0]!.finish_reason).toBe("tool_calls");
          call = res.choices[0]!.message.tool_calls![0]!;
        }
        expect(call.type === "function" && call.function.name).toBe("get_weather");
        expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
        const servedBefore = second.served.length;
        await only(second);
        messages.push({ role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: "sunny, 21 °C" });
        const res = await openai.chat.completions.create({ model: "mixed", messages, tools: [WEATHER], stream: false });
        expect(res.choices[0]!.message.content).toBe("The tool said: sunny, 21 °C");
        expect(second.served.length).toBe(servedBefore + 1);
      }
    }
  });

  it("a Responses chain (previous_response_id) with a tool call, streamed and not, moving between the deployments", async () => {
    const tool = { type: "function" as const, name: "get_weather", strict: false, parameters: WEATHER.function.parameters };
    for (const [first, second] of [
      [chat, anthropic],
      [anthropic, chat],
    ] as const) {
      await only(first);
      const stream = await openai.responses.create({ model: "mixed", input: "Weather in Paris?", tools: [tool], stream: true });
      let r1: OpenAI.Responses.Response | undefined;
      for await (const ev of stream) if (ev.type === "response.completed") r1 = ev.response;
      const call = r1!.output.find((o) => o.type === "function_call");
      expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
      expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: "Paris" });
      const servedBefore = second.served.length;
      await only(second);
      const r2 = await openai.responses.create({
        model: "mixed",
        previous_response_id: r1!.id,
        input: [{ type: "function_call_output", call_id: (call as { call_id: string }).call_id, output: "rainy, 12 °C" }],
        tools: [tool],
      });
      expect(r2.output_text).toBe("The tool said: rainy, 12 °C");
      expect(second.served.length).toBe(servedBefore + 1);
      // The second turn reached its upstream with the whole chain: the question, the call and its result.
      const sent = JSON.stringify(second.served.at(-1)!.json);
      expect(sent).toContain("Weather in Paris?");
      expect(sent).toContain("rainy, 12 °C");
    }
  });
});

interface ClaudeResult {
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
}

function runClaude(args: string[]): Promise<ClaudeResult> {
  const home = mkdtempSync(join(tmpdir(), "yallmp-claude-mixed-"));
  return new Promise((resolve, reject) => {
    const child = spawn(CLAUDE_BIN, ["-p", ...args, "--output-format", "json", "--model", MAIN], {
      cwd: home,
      env: claudeEnv(home, p.url),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 110_000);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ stdout, stderr, json });
    });
  });
}

describe("Claude Code on a chat + Anthropic group", () => {
  beforeAll(ensureClis, INSTALL_TIMEOUT_MS);

  it("answers the same on either deployment", async () => {
    for (const on of [chat, anthropic]) {
      await only(on);
      const before = servedOn(on, MAIN).length;
      const r = await runClaude(["Say hello"]);
      expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toMatchObject({ type: "result", is_error: false, result: "Hello from the group." });
      expect(servedOn(on, MAIN).length).toBeGreaterThan(before);
    }
  }, 240_000);

  it("a Bash round trip whose tool call one deployment made and whose result the other answered", async () => {
    for (const [first, second] of [
      [chat, anthropic],
      [anthropic, chat],
    ] as const) {
      await only(first);
      // The deployment that made the call goes down once it has; Claude Code's next turn is moved.
      const firstCount = servedOn(first, MAIN).length;
      first.onServed = (req) => {
        if (req.json?.model !== `up-${MAIN}`) return;
        first.down = true;
        second.down = false;
        first.onServed = undefined;
      };
      try {
        const r = await runClaude([`run echo ${MARKER}`, "--allowedTools", "Bash(echo:*)"]);
        expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toMatchObject({ type: "result", is_error: false, result: `The tool said: ${MARKER}` });
        expect((r.json!.permission_denials as unknown[]).length).toBe(0);
      } finally {
        first.onServed = undefined;
      }
      const calls = servedOn(first, MAIN).slice(firstCount);
      expect(calls).toHaveLength(1);
      const answered = servedOn(second, MAIN).at(-1)!;
      // The command really ran: its output came back to the other deployment, in that one's format.
      expect(JSON.stringify(answered.json)).toContain(MARKER);
      if (second === anthropic) expect(JSON.stringify(answered.json)).toContain('"tool_result"');
      else expect((answered.json!.messages as Array<{ role: string }>).some((m) => m.role === "tool")).toBe(true);
    }
  }, 240_000);
});
