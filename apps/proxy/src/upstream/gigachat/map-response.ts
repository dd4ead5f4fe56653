// GigaChat's answers in the Chat Completions shape: a `function_call` becomes a tool call with an id
// (GigaChat gives none), finish reason `function_call` becomes `tool_calls`, and an error body
// (`{status, message}`) an OpenAI error object, so every client format can render it.

import { type JsonObject, isObject, toolCallId } from "./gigachat-api.js";

export interface AnswerIds {
  /** The completion's id, the same on every chunk of a stream. */
  id: string;
  created: number;
  model: string;
  random: () => string;
}

/** GigaChat's finish reasons in Chat's words; `blacklist` is its content filter. */
export function finishReasonOf(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === "") return null;
  if (raw === "function_call" || raw === "tool_call" || raw === "tool_calls") return "tool_calls";
  if (raw === "blacklist") return "content_filter";
  return typeof raw === "string" ? raw : "stop";
}

/** A call's arguments as a JSON string: GigaChat sends an object. */
function argumentsJson(raw: unknown): string {
  if (raw === undefined || raw === null) return "{}";
  if (typeof raw !== "string") return JSON.stringify(raw);
  if (!raw.trim()) return "{}";
  try {
    const parsed: unknown = JSON.parse(raw);
    return JSON.stringify(isObject(parsed) ? parsed : { arguments: parsed });
  } catch {
    return JSON.stringify({ arguments: raw });
  }
}

export function usageOf(raw: unknown): JsonObject | undefined {
  if (!isObject(raw)) return undefined;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const usage: JsonObject = { prompt_tokens: n(raw.prompt_tokens), completion_tokens: n(raw.completion_tokens), total_tokens: n(raw.total_tokens) };
  if (typeof raw.precached_prompt_tokens === "number") usage.prompt_tokens_details = { cached_tokens: raw.precached_prompt_tokens };
  return usage;
}

function toolCall(fn: JsonObject, stateId: unknown, random: () => string): JsonObject {
  return { id: toolCallId(stateId, random), type: "function", function: { name: String(fn.name ?? ""), arguments: argumentsJson(fn.arguments) } };
}

/** A non-streamed GigaChat answer as a `chat.completion`. */
export function gigachatToChat(data: JsonObject, ids: AnswerIds): JsonObject {
  const choices = Array.isArray(data.choices) ? data.choices : [];
  return {
    id: ids.id,
    object: "chat.completion",
    created: typeof data.created === "number" ? data.created : ids.created,
    model: typeof data.model === "string" ? data.model : ids.model,
    choices: choices.map((raw, i) => {
      const choice = isObject(raw) ? raw : {};
      const m = isObject(choice.message) ? choice.message : {};
      const content = typeof m.content === "string" ? m.content : "";
      let finish = finishReasonOf(choice.finish_reason) ?? "stop";
      const message: JsonObject = { role: "assistant", content };
      if (isObject(m.function_call)) {
        message.content = content || null;
        message.tool_calls = [toolCall(m.function_call, m.functions_state_id, ids.random)];
        finish = "tool_calls";
      }
      return { index: typeof choice.index === "number" ? choice.index : i, message, finish_reason: finish, logprobs: null };
    }),
    usage: usageOf(data.usage) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** One streamed GigaChat chunk as a `chat.completion.chunk`. */
export function gigachatChunkToChat(data: JsonObject, ids: AnswerIds): JsonObject {
  const choices = Array.isArray(data.choices) ? data.choices : [];
  const out: JsonObject = {
    id: ids.id,
    object: "chat.completion.chunk",
    created: ids.created,
    model: typeof data.model === "string" ? data.model : ids.model,
    choices: choices.map((raw, i) => {
      const choice = isObject(raw) ? raw : {};
      const d = isObject(choice.delta) ? choice.delta : isObject(choice.message) ? choice.message : {};
      const delta: JsonObject = {};
      if (d.role === "assistant") delta.role = "assistant";
      if (typeof d.content === "string" && d.content) delta.content = d.content;
      let finish = finishReasonOf(choice.finish_reason);
      if (isObject(d.function_call)) {
        const fn = d.function_call;
        const call: JsonObject = { index: 0, type: "function", function: {} as JsonObject };
        const target = call.function as JsonObject;
        if (fn.name) {
          call.id = toolCallId(d.functions_state_id, ids.random);
          target.name = String(fn.name);
        }
        if ("arguments" in fn) target.arguments = argumentsJson(fn.arguments);
        delta.tool_calls = [call];
        if (finish === null || finish === "stop") finish = "tool_calls";
      }
      return { index: typeof choice.index === "number" ? choice.index : i, delta, finish_reason: finish };
    }),
  };
  const usage = usageOf(data.usage);
  if (usage) out.usage = usage;
  return out;
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "invalid_request_error",
  422: "invalid_request_error",
  429: "rate_limit_error",
};

/** GigaChat's error body (JSON `{status, message}` or text) as an OpenAI error object. */
export function gigachatErrorToChat(status: number, body: string): JsonObject {
  let message = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed) && typeof parsed.message === "string") message = parsed.message;
    else if (isObject(parsed) && isObject(parsed.error) && typeof parsed.error.message === "string") message = parsed.error.message;
  } catch {
    // Not JSON: the text is the message.
  }
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
  return { error: { message: `GigaChat: ${message || `HTTP ${status}`}`, type, param: null, code: String(status) } };
}
