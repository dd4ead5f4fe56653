// A Chat Completions request in GigaChat's own shape: tools become `functions`, `tool_choice` becomes
// `function_call`, tool results are `function` messages and an assistant's tool call its
// `function_call` (GigaChat takes one per message: the first, as yaLLMproxy sends it).

import { gigachatFunctionSchema } from "./function-schema.js";
import { type JsonObject, isObject, stateIdOfCallId } from "./gigachat-api.js";

/** Fields GigaChat reads under the same names (its own ones too, set by a route's `parameters`). */
const COPIED_FIELDS = [
  "temperature",
  "top_p",
  "max_tokens",
  "presence_penalty",
  "frequency_penalty",
  "stop",
  "repetition_penalty",
  "update_interval",
  "profanity_check",
] as const;

export class GigaChatRequestError extends Error {}

export function chatToGigaChat(body: JsonObject, model: string): JsonObject {
  // yaLLMproxy turned GigaChat's profanity check off unless asked.
  const out: JsonObject = { model, messages: messagesOf(body.messages), profanity_check: false };
  for (const key of COPIED_FIELDS) if (body[key] !== undefined && body[key] !== null) out[key] = body[key];
  if (out.max_tokens === undefined && typeof body.max_completion_tokens === "number") out.max_tokens = body.max_completion_tokens;
  if (body.stream === true) out.stream = true;
  const functions = functionsOf(body.tools);
  if (functions.length > 0) {
    out.functions = functions;
    out.function_call = functionCallOf(body.tool_choice);
  }
  return out;
}

function functionCallOf(choice: unknown): unknown {
  if (choice === "none") return "none";
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === "string") return { name: choice.function.name };
  // `required` has no GigaChat counterpart: the model decides.
  return "auto";
}

function functionsOf(tools: unknown): JsonObject[] {
  if (!Array.isArray(tools)) return [];
  const out: JsonObject[] = [];
  for (const tool of tools) {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(fn) || typeof fn.name !== "string" || !fn.name) continue;
    const parameters = isObject(fn.parameters) ? gigachatFunctionSchema(fn.parameters) : { type: "object", properties: {} };
    out.push({ name: fn.name, ...(typeof fn.description === "string" && fn.description ? { description: fn.description } : {}), parameters });
  }
  return out;
}

/** Message text: a string, or the text of its parts (images and files are not sent). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part === "string") parts.push(part);
    else if (isObject(part) && typeof part.text === "string") parts.push(part.text);
  }
  return parts.join("\n");
}

function messagesOf(raw: unknown): JsonObject[] {
  if (!Array.isArray(raw)) throw new GigaChatRequestError("messages must be a list");
  const system: string[] = [];
  const out: JsonObject[] = [];
  const callNames = new Map<string, string>();
  for (const m of raw) {
    if (!isObject(m)) continue;
    const text = contentText(m.content);
    if (m.role === "system" || m.role === "developer") {
      if (text) system.push(text);
    } else if (m.role === "user") {
      if (text) out.push({ role: "user", content: text });
    } else if (m.role === "assistant") {
      out.push(assistantMessage(m, text, callNames));
    } else if (m.role === "tool" || m.role === "function") {
      const given = typeof m.name === "string" && m.name ? m.name : undefined;
      const name = given ?? callNames.get(String(m.tool_call_id)) ?? "tool_result";
      out.push({ role: "function", name, content: functionResult(m.content) });
    }
  }
  if (system.length > 0) out.unshift({ role: "system", content: system.join("\n\n") });
  if (out.length === 0) throw new GigaChatRequestError("a GigaChat request must contain at least one message");
  return out;
}

function assistantMessage(m: JsonObject, text: string, callNames: Map<string, string>): JsonObject {
  const message: JsonObject = { role: "assistant", content: text };
  const first = Array.isArray(m.tool_calls) ? (m.tool_calls[0] as unknown) : undefined;
  const fn = isObject(first) && isObject(first.function) ? first.function : undefined;
  if (!fn || typeof fn.name !== "string" || !fn.name) return message;
  message.function_call = { name: fn.name, arguments: argumentsObject(fn.arguments) };
  if (isObject(first) && typeof first.id === "string") {
    callNames.set(first.id, fn.name);
    const stateId = stateIdOfCallId(first.id);
    if (stateId) message.functions_state_id = stateId;
  }
  return message;
}

/** GigaChat wants a call's arguments as an object. */
function argumentsObject(raw: unknown): unknown {
  if (typeof raw !== "string") return isObject(raw) ? raw : {};
  if (!raw.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : { arguments: parsed };
  } catch {
    return { arguments: raw };
  }
}

/** A function result is a JSON object in a string: a result that is not one is wrapped in `result`. */
function functionResult(content: unknown): string {
  let value: unknown = content;
  if (typeof content === "string") {
    try {
      value = JSON.parse(content);
    } catch {
      value = content;
    }
  } else if (Array.isArray(content)) {
    value = contentText(content);
  }
  return JSON.stringify(isObject(value) ? value : { result: value ?? null });
}
