// The built-in `mock` backend: an OpenAI-compatible chat server inside the process (embeddings and
// rerank too: mock-embeddings.ts), deterministic and offline, so the shipped config answers with no
// API keys. It echoes the last user message, calls a tool when tools are offered, and can be told to
// add latency, fail, or cut its stream. In `agent` mode (mock-agent.ts) it greets instead and calls a
// tool only when asked.

import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { ModelRoute } from "../config/load-config.js";
import { afterTool, agentArguments, agentTurn, contentText, greeting, requestedTool } from "./mock-agent.js";
import { mockEmbeddings, mockRerank } from "./mock-embeddings.js";
import type { Backend, UpstreamRequest, UpstreamResponse } from "./types.js";

const MOCK_PATHS = new Set(["/chat/completions", "/embeddings", "/rerank"]);

interface ChatMessageLike {
  role?: unknown;
  content?: unknown;
}

interface PlannedChoice {
  text: string | null;
  reasoning: string | null;
  toolCall: { id: string; name: string; arguments: string } | null;
  finishReason: "stop" | "length" | "tool_calls";
}

export class MockBackend implements Backend {
  readonly format = "chat" as const;
  private calls = 0;
  private idCounter = 0;

  constructor(readonly route: ModelRoute) {}

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const opts = this.route.mock ?? {};
    this.calls += 1;
    if (opts.latency_ms) await sleep(opts.latency_ms, undefined, { signal: req.cancel.signal }).catch(() => undefined);
    if (req.cancel.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });

    const refused = this.refusal(req.path);
    if (refused) return refused;
    const body = req.body;
    const model = typeof body.model === "string" ? body.model : this.route.upstreamModel;
    if (req.path === "/embeddings") return jsonResponse(200, mockEmbeddings(body, model));
    if (req.path === "/rerank") return jsonResponse(200, mockRerank(body, model, `rerank-mock${++this.idCounter}`));
    const id = `chatcmpl-mock${++this.idCounter}`;
    const created = Math.floor(Date.now() / 1000);
    const messages = Array.isArray(body.messages) ? (body.messages as ChatMessageLike[]) : [];
    const n = typeof body.n === "number" && body.n > 1 ? Math.min(Math.floor(body.n), 16) : 1;
    const choices = Array.from({ length: n }, (_, i) => this.plan(body, messages, `${id}_${i}`));
    const usage = usageOf(messages, choices);
    if (!req.stream) return jsonResponse(200, completionOf(id, created, model, choices, usage));
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    return this.streamed(streamFrames(id, created, model, choices, includeUsage ? usage : null), req.cancel);
  }

  /** The configured failure, or a 404 for a path the mock does not serve. */
  private refusal(path: string): UpstreamResponse | undefined {
    const opts = this.route.mock ?? {};
    if (!MOCK_PATHS.has(path)) {
      return jsonResponse(404, {
        error: {
          message: `mock backend serves ${[...MOCK_PATHS].join(", ")}, not ${path}`,
          type: "invalid_request_error",
          param: null,
          code: "unknown_url",
        },
      });
    }
    if (opts.fail_status && (opts.fail_times === undefined || this.calls <= opts.fail_times)) {
      const headers: Record<string, string> = {};
      if (opts.retry_after_seconds !== undefined) headers["retry-after"] = String(opts.retry_after_seconds);
      return jsonResponse(
        opts.fail_status,
        {
          error: {
            message: opts.fail_message ?? `mock failure (status ${opts.fail_status})`,
            type: opts.fail_status >= 500 ? "server_error" : "invalid_request_error",
            param: null,
            code: "mock_failure",
          },
        },
        headers,
      );
    }

    return undefined;
  }

  /** The frames as a stream, paced and cut as configured. */
  private streamed(frames: string[], cancel: UpstreamRequest["cancel"]): UpstreamResponse {
    const opts = this.route.mock ?? {};
    const delay = opts.chunk_delay_ms ?? 0;
    const cutAfter = opts.cut_after_chunks;
    async function* generate(): AsyncGenerator<Buffer> {
      let sent = 0;
      for (const frame of frames) {
        if (cancel.aborted) return;
        if (cutAfter !== undefined && sent >= cutAfter) throw new Error("mock backend cut the stream");
        if (delay && sent > 0) await sleep(delay);
        yield Buffer.from(frame);
        sent += 1;
      }
    }
    return {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      body: Readable.from(generate(), { objectMode: false }),
    };
  }

  private plan(body: Record<string, unknown>, messages: ChatMessageLike[], callSeed: string): PlannedChoice {
    if (this.route.mock?.mode === "agent") return this.planAgent(body, messages, callSeed);
    const last = messages[messages.length - 1];
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const echo = this.route.mock?.reply ?? (contentText(lastUser?.content) || "Hello from the mock backend.");
    const reasoning = typeof body.reasoning_effort === "string" && body.reasoning_effort !== "none" ? `Thinking about: ${echo}` : null;
    const tools = Array.isArray(body.tools) ? (body.tools as Array<{ type?: unknown; function?: { name?: unknown; parameters?: unknown } }>) : [];
    const toolChoice = body.tool_choice;
    const lastIsToolResult = last?.role === "tool";
    if (tools.length > 0 && toolChoice !== "none" && !lastIsToolResult) {
      const forced = typeof toolChoice === "object" && toolChoice !== null ? (toolChoice as { function?: { name?: unknown } }).function?.name : undefined;
      const tool = tools.find((t) => t.function?.name === forced) ?? tools[0];
      const name = typeof tool?.function?.name === "string" ? tool.function.name : "tool";
      const args = JSON.stringify(argumentsFor(tool?.function?.parameters, echo));
      return { text: null, reasoning, toolCall: { id: `call_${callSeed}`, name, arguments: args }, finishReason: "tool_calls" };
    }
    const text = lastIsToolResult && !this.route.mock?.reply ? `Tool result: ${contentText(last?.content)}` : echo;
    return textChoice(body, text, reasoning);
  }

  /** Agent mode: a greeting for what the user typed; a tool call only when asked or forced. */
  private planAgent(body: Record<string, unknown>, messages: ChatMessageLike[], callSeed: string): PlannedChoice {
    const turn = agentTurn(messages);
    const reply = this.route.mock?.reply;
    const reasoning =
      typeof body.reasoning_effort === "string" && body.reasoning_effort !== "none"
        ? `Thinking about: ${turn.kind === "answer" ? turn.words || "(nothing typed)" : "the tool result"}`
        : null;
    if (turn.kind === "tool_result") return textChoice(body, reply ?? afterTool(turn.output), reasoning);
    const tools = Array.isArray(body.tools) ? (body.tools as Array<{ type?: unknown; function?: { name?: unknown; parameters?: unknown } }>) : [];
    const toolChoice = body.tool_choice;
    if (tools.length > 0 && toolChoice !== "none") {
      const forced = typeof toolChoice === "object" && toolChoice !== null ? (toolChoice as { function?: { name?: unknown } }).function?.name : undefined;
      const forcedTool = forced !== undefined ? tools.find((t) => t.function?.name === forced) : undefined;
      const asked = forcedTool ? { tool: forcedTool, rest: turn.words } : requestedTool(turn.words, tools);
      const chosen = asked ?? (toolChoice === "required" ? { tool: tools[0]!, rest: turn.words } : undefined);
      if (chosen) {
        const name = typeof chosen.tool.function?.name === "string" ? chosen.tool.function.name : "tool";
        const args = JSON.stringify(agentArguments(chosen.tool.function?.parameters, chosen.rest));
        return { text: null, reasoning, toolCall: { id: `call_${callSeed}`, name, arguments: args }, finishReason: "tool_calls" };
      }
    }
    return textChoice(body, reply ?? greeting(turn.words), reasoning);
  }

  async close(): Promise<void> {}
}

/** A text answer, cut at the request's token limit (one word a token). */
function textChoice(body: Record<string, unknown>, text: string, reasoning: string | null): PlannedChoice {
  const maxTokens =
    typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : typeof body.max_tokens === "number" ? body.max_tokens : undefined;
  const words = splitWords(text);
  if (maxTokens !== undefined && words.length > maxTokens) {
    return { text: words.slice(0, maxTokens).join(""), reasoning, toolCall: null, finishReason: "length" };
  }
  return { text, reasoning, toolCall: null, finishReason: "stop" };
}

function jsonResponse(status: number, payload: unknown, headers: Record<string, string> = {}): UpstreamResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: Readable.from([Buffer.from(JSON.stringify(payload))]),
  };
}

function streamFrames(id: string, created: number, model: string, choices: PlannedChoice[], usage: unknown): string[] {
  const chunk = (index: number, delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  // Each choice's chunks, then interleaved round-robin as OpenAI does for n > 1.
  const perChoice = choices.map((c, index) => {
    const out: string[] = [chunk(index, c.toolCall ? { role: "assistant", content: null } : { role: "assistant", content: "" })];
    if (c.reasoning) for (const w of splitWords(c.reasoning)) out.push(chunk(index, { reasoning_content: w }));
    if (c.text) for (const w of splitWords(c.text)) out.push(chunk(index, { content: w }));
    if (c.toolCall) {
      out.push(chunk(index, { tool_calls: [{ index: 0, id: c.toolCall.id, type: "function", function: { name: c.toolCall.name, arguments: "" } }] }));
      const a = c.toolCall.arguments;
      const third = Math.max(1, Math.ceil(a.length / 3));
      for (let i = 0; i < a.length; i += third) out.push(chunk(index, { tool_calls: [{ index: 0, function: { arguments: a.slice(i, i + third) } }] }));
    }
    out.push(chunk(index, {}, c.finishReason));
    return out;
  });
  const frames: string[] = [];
  const longest = Math.max(...perChoice.map((c) => c.length));
  for (let i = 0; i < longest; i++) for (const c of perChoice) if (i < c.length) frames.push(c[i] as string);
  if (usage) frames.push(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`);
  frames.push("data: [DONE]\n\n");
  return frames;
}

/**
 * Words with their leading whitespace, so joining them restores the text exactly. Sticky (`y`): the
 * words are contiguous, and a plain global search would rescan a run of trailing whitespace from
 * each of its positions (quadratic: a body of spaces stalled the process for minutes).
 */
function splitWords(text: string): string[] {
  return text.match(/\s*\S+/gy) ?? (text ? [text] : []);
}

function countWords(text: string): number {
  return splitWords(text).length;
}

function argumentsFor(schema: unknown, echo: string): Record<string, unknown> {
  const props = (schema as { properties?: Record<string, { type?: unknown; enum?: unknown[] } | null> } | undefined)?.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(props)) {
    // A client's schema may be anything; what is not a property schema gets the echo.
    if (typeof prop !== "object" || prop === null) out[name] = echo;
    else if (Array.isArray(prop.enum) && prop.enum.length) out[name] = prop.enum[0];
    else if (prop.type === "number" || prop.type === "integer") out[name] = 1;
    else if (prop.type === "boolean") out[name] = true;
    else if (prop.type === "array") out[name] = [];
    else if (prop.type === "object") out[name] = {};
    else out[name] = echo;
  }
  return out;
}

function usageOf(messages: ChatMessageLike[], choices: PlannedChoice[]) {
  const promptTokens = countWords(messages.map((m) => contentText(m.content)).join(" "));
  const completionTokens = choices.reduce(
    (sum, c) => sum + countWords(c.text ?? "") + countWords(c.reasoning ?? "") + (c.toolCall ? Math.ceil(c.toolCall.arguments.length / 4) : 0),
    0,
  );
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: choices.reduce((s, c) => s + countWords(c.reasoning ?? ""), 0) },
  };
}

function completionOf(id: string, created: number, model: string, choices: PlannedChoice[], usage: ReturnType<typeof usageOf>) {
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: choices.map((c, index) => ({
      index,
      message: {
        role: "assistant",
        content: c.text,
        refusal: null,
        ...(c.reasoning !== null ? { reasoning_content: c.reasoning } : {}),
        ...(c.toolCall ? { tool_calls: [{ id: c.toolCall.id, type: "function", function: { name: c.toolCall.name, arguments: c.toolCall.arguments } }] } : {}),
      },
      logprobs: null,
      finish_reason: c.finishReason,
    })),
    usage,
  };
}
