// `emulate_tool_calls: true`, as yaLLMproxy does it: GigaChat is not given `functions`; a system
// prompt lists the tools and asks for one JSON object, `{"action":"call_tool","tool":…,"arguments":…}`
// or `{"action":"final_answer","content":…}`, which becomes a tool call or the answer. An answer that
// does not parse is asked for again (three tries in all), with the reason in the prompt.

import { gigachatFunctionSchema } from "./function-schema.js";
import { type JsonObject, isObject, toolCallId } from "./gigachat-api.js";
import { contentText } from "./map-request.js";
import { type AnswerIds, usageOf } from "./map-response.js";
import { parseEmulatedAnswer } from "./emulated-answer.js";

const ATTEMPTS = 3;
const COPIED_FIELDS = ["temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "stop"] as const;

const SCHEMA = {
  action: "call_tool | final_answer",
  tool: "имя инструмента, если action равен call_tool",
  arguments: "объект с аргументами инструмента, если action равен call_tool",
  content: "текст ответа пользователю, если action равен final_answer",
};

export type TurnResult<F> = { ok: true; data: JsonObject } | { ok: false; failure: F };

/** Whether a request is answered by emulation: it offers tools and does not forbid them. */
export function wantsEmulation(body: JsonObject): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice !== "none";
}

interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonObject;
}

function toolSpecs(tools: unknown): ToolSpec[] {
  if (!Array.isArray(tools)) return [];
  const out: ToolSpec[] = [];
  for (const tool of tools) {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(fn) || typeof fn.name !== "string" || !fn.name) continue;
    const parameters = isObject(fn.parameters) ? gigachatFunctionSchema(fn.parameters) : { type: "object", properties: {} };
    out.push({ name: fn.name, description: typeof fn.description === "string" ? fn.description : "", parameters });
  }
  return out;
}

function instruction(specs: ToolSpec[]): string {
  return [
    "Ты работаешь в режиме эмуляции вызова инструментов. Нативные function calling/tools недоступны.",
    "Верни только валидный JSON-объект без markdown-разметки и без поясняющего текста.\n",
    "Если нужно вызвать инструмент, верни:",
    '{"action":"call_tool","tool":"имя_инструмента","arguments":{...}}\n',
    "Если нужно ответить пользователю без вызова инструмента, верни:",
    '{"action":"final_answer","content":"текст ответа"}\n',
    "Схема ответа:",
    `${JSON.stringify(SCHEMA, null, 2)}\n`,
    "Доступные инструменты:",
    JSON.stringify(specs, null, 2),
  ].join("\n");
}

const AFTER_TOOL_RESULT = [
  "# Правило после результата инструмента",
  "Последнее сообщение содержит результат инструмента. Используй этот результат для следующего шага.",
  'Если данных достаточно для ответа пользователю, верни JSON с action="final_answer".',
  "Вызывай новый инструмент только если без него невозможно выполнить просьбу пользователя.",
  "Не упоминай JSON, схему, внутреннюю валидацию, retry, function calling или технические ошибки.",
].join("\n");

function retryInstruction(reason: string): string {
  return [
    "# Внутреннее исправление формата",
    "Предыдущий ответ не прошел внутреннюю проверку формата. Это служебная информация только для тебя.",
    "Нельзя сообщать пользователю, что ответ не удалось разобрать, что JSON невалиден, что есть ошибка схемы или что выполняется retry.",
    `Техническая причина: ${reason}.`,
    "Исправь только формат следующего ответа: верни один валидный JSON-объект по описанной схеме, без markdown и без пояснений.",
  ].join("\n");
}

/** The conversation with tool calls and results written out as text. */
function emulatedMessages(messages: unknown, specs: ToolSpec[], retryReason: string | undefined): JsonObject[] {
  let system = instruction(specs);
  const out: JsonObject[] = [];
  const names = new Map<string, string>();
  let lastWasResult = false;
  for (const m of Array.isArray(messages) ? messages : []) {
    if (!isObject(m)) continue;
    const text = contentText(m.content);
    if (m.role === "system" || m.role === "developer") {
      if (text) system += `\n\n${text}`;
    } else if (m.role === "user") {
      if (text) out.push({ role: "user", content: text });
      if (text) lastWasResult = false;
    } else if (m.role === "assistant") {
      const parts = text ? [text] : [];
      for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
        const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
        if (!fn || typeof fn.name !== "string" || !fn.name) continue;
        if (isObject(call) && typeof call.id === "string") names.set(call.id, fn.name);
        parts.push(`Предыдущий вызов инструмента: ${JSON.stringify({ tool: fn.name, arguments: parsedArguments(fn.arguments) })}`);
      }
      if (parts.length) out.push({ role: "assistant", content: parts.join("\n") });
      if (parts.length) lastWasResult = false;
    } else if (m.role === "tool" || m.role === "function") {
      const name = (typeof m.name === "string" && m.name) || names.get(String(m.tool_call_id)) || "tool_result";
      out.push({ role: "user", content: `Результат инструмента ${name}:\n${resultJson(m.content)}` });
      lastWasResult = true;
    }
  }
  if (lastWasResult) system += `\n\n${AFTER_TOOL_RESULT}`;
  if (retryReason) system += `\n\n${retryInstruction(retryReason)}`;
  return [{ role: "system", content: system }, ...out];
}

function parsedArguments(raw: unknown): unknown {
  if (typeof raw !== "string") return raw ?? {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return { arguments: raw };
  }
}

function resultJson(content: unknown): string {
  let value: unknown = typeof content === "string" ? content : Array.isArray(content) ? contentText(content) : content;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      // Plain text.
    }
  }
  return JSON.stringify(isObject(value) ? value : { result: value ?? null });
}

/**
 * Up to three non-streamed turns until GigaChat's answer parses; a failure of the call itself is
 * returned as it came. The answer is a `chat.completion`.
 */
export async function emulateToolCalls<F>(
  body: JsonObject,
  model: string,
  ids: AnswerIds,
  turn: (payload: JsonObject) => Promise<TurnResult<F>>,
): Promise<{ completion: JsonObject } | { failure: F } | { unparsed: string }> {
  const specs = toolSpecs(body.tools);
  let reason: string | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const payload: JsonObject = { model, messages: emulatedMessages(body.messages, specs, reason), profanity_check: false };
    for (const key of COPIED_FIELDS) if (body[key] !== undefined && body[key] !== null) payload[key] = body[key];
    if (payload.max_tokens === undefined && typeof body.max_completion_tokens === "number") payload.max_tokens = body.max_completion_tokens;
    const result = await turn(payload);
    if (!result.ok) return { failure: result.failure };
    const parsed = parseEmulatedAnswer(firstContent(result.data), new Set(specs.map((s) => s.name)));
    if (typeof parsed === "string") {
      reason = parsed;
      continue;
    }
    const message: JsonObject =
      parsed.action === "call_tool"
        ? {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: toolCallId(undefined, ids.random), type: "function", function: { name: parsed.tool, arguments: JSON.stringify(parsed.arguments) } },
            ],
          }
        : { role: "assistant", content: parsed.content };
    const finish = parsed.action === "call_tool" ? "tool_calls" : "stop";
    const usage = usageOf(result.data.usage) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    return {
      completion: {
        id: ids.id,
        object: "chat.completion",
        created: ids.created,
        model,
        choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
        usage,
      },
    };
  }
  return { unparsed: `GigaChat tool emulation failed after ${ATTEMPTS} attempts: ${reason ?? "no answer"}` };
}

function firstContent(data: JsonObject): unknown {
  const choice: unknown = Array.isArray(data.choices) ? data.choices[0] : undefined;
  return isObject(choice) && isObject(choice.message) ? choice.message.content : undefined;
}

/** A finished completion as a Chat stream: one chunk with the whole answer, then `[DONE]`. */
export function completionToSse(completion: JsonObject): string {
  const choice = (completion.choices as JsonObject[])[0]!;
  const message = choice.message as JsonObject;
  const delta: JsonObject = { role: "assistant" };
  if (Array.isArray(message.tool_calls)) delta.tool_calls = message.tool_calls.map((c, index) => ({ index, ...(c as JsonObject) }));
  else delta.content = message.content;
  const chunk = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
    choices: [{ index: 0, delta, finish_reason: choice.finish_reason }],
    usage: completion.usage,
  };
  return `data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`;
}
