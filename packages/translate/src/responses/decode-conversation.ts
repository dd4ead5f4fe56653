// Responses `input` items -> hub messages. Assistant-side items that follow each other (reasoning,
// output messages, function, custom and tool search calls) become ONE assistant message, so a Chat
// or Anthropic backend sees a normal turn; their outputs become tool messages.

import { TranslateError } from "../codec.js";
import type { AssistantPart, FilePart, ImagePart, Message, ReasoningPart, TextPart, ToolResultContentPart, TranslationWarning, UserPart } from "../ir.js";
import { fileDataToMediaSource, urlToMediaSource } from "../shared/data-url.js";
import { isRecord, type JsonObject } from "../shared/guards.js";
import { unpackReasoningOpaque } from "../shared/reasoning.js";
import { requestFields as f } from "../shared/validate.js";
import type { ResponsesItemResolver } from "./responses-api.js";
import {
  type ClientItemContext,
  decodeCustomToolCallItem,
  decodeFunctionCallItem,
  decodeToolSearchCallItem,
  decodeToolSearchOutputItem,
} from "./decode-client-items.js";

const DETAILS = ["auto", "low", "high", "original"] as const;

const HOSTED_TOOL_ITEMS = new Set([
  "file_search_call",
  "web_search_call",
  "computer_call",
  "computer_call_output",
  "image_generation_call",
  "code_interpreter_call",
  "local_shell_call",
  "local_shell_call_output",
  "shell_call",
  "shell_call_output",
  "apply_patch_call",
  "apply_patch_call_output",
  "mcp_call",
  "mcp_list_tools",
  "mcp_approval_request",
  "mcp_approval_response",
  "compaction",
]);

export interface DecodeInputContext extends ClientItemContext {
  resolveItem: ResponsesItemResolver | undefined;
}

const ITEM_TYPES = [
  "message",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output",
  "tool_search_call",
  "tool_search_output",
  "reasoning",
  "item_reference",
  ...HOSTED_TOOL_ITEMS,
];

/** The messages decoded so far; `assistant` is the open assistant turn that items join. */
class Turns {
  readonly messages: Message[] = [];
  private assistant: AssistantPart[] | undefined;

  assistantParts(): AssistantPart[] {
    if (!this.assistant) {
      this.assistant = [];
      this.messages.push({ role: "assistant", content: this.assistant });
    }
    return this.assistant;
  }

  push(msg: Message): void {
    this.assistant = undefined;
    this.messages.push(msg);
  }
}

export function decodeResponsesInput(input: unknown, cx: DecodeInputContext, warnings: TranslationWarning[]): Message[] {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return [{ role: "user", content: [{ type: "text", text: input }] }];
  if (!Array.isArray(input)) throw f.invalidType("input", "a string or an array of input items", input);
  const turns = new Turns();
  input.forEach((raw, i) => {
    const param = `input[${i}]`;
    let item = f.record(raw, param);
    if (item["type"] === "item_reference") {
      const id = f.string(item["id"], `${param}.id`);
      const resolved = cx.resolveItem?.(id);
      if (!resolved || !isRecord(resolved) || resolved["type"] === "item_reference") {
        throw new TranslateError(`Item with id '${id}' not found.`, { param, code: "item_not_found" });
      }
      item = resolved;
    }
    decodeInputItem(item, param, turns, cx, warnings);
  });
  return turns.messages;
}

function decodeInputItem(item: JsonObject, param: string, turns: Turns, cx: DecodeInputContext, warnings: TranslationWarning[]): void {
  const type = item["type"] === undefined && item["role"] !== undefined ? "message" : f.string(item["type"], `${param}.type`);
  switch (type) {
    case "message":
      decodeMessageItem(item, param, turns);
      return;
    case "function_call":
      turns.assistantParts().push(decodeFunctionCallItem(item, param, cx));
      return;
    case "custom_tool_call":
      turns.assistantParts().push(decodeCustomToolCallItem(item, param));
      return;
    case "tool_search_call":
    case "tool_search_output":
      // A search OpenAI ran on its servers has nothing a backend of another format could take.
      if (item["execution"] === "server") {
        warnings.push({
          code: "content_dropped",
          path: param,
          message: `a server-run tool search (${type}) has no equivalent on this backend and was dropped`,
        });
      } else if (type === "tool_search_call") turns.assistantParts().push(decodeToolSearchCallItem(item, param));
      else turns.push(decodeToolSearchOutputItem(item, param, cx, warnings));
      return;
    case "function_call_output":
    case "custom_tool_call_output":
      turns.push({ role: "tool", toolCallId: f.string(item["call_id"], `${param}.call_id`), content: decodeToolOutput(item["output"], `${param}.output`) });
      return;
    case "reasoning":
      turns.assistantParts().push(decodeReasoningItem(item, param));
      return;
    default:
      // OpenAI's hosted-tool items (a client may replay them) have no equivalent: dropped. A type
      // OpenAI does not define is the client's mistake.
      if (!HOSTED_TOOL_ITEMS.has(type)) throw f.invalidValue(`${param}.type`, type, ITEM_TYPES);
      warnings.push({ code: "content_dropped", path: param, message: `input item of type '${type}' has no equivalent on this backend and was dropped` });
  }
}

function decodeMessageItem(item: JsonObject, param: string, turns: Turns): void {
  const role = f.string(item["role"], `${param}.role`);
  const content = item["content"];
  if (role === "assistant") {
    const phase = f.optionalString(item["phase"], `${param}.phase`);
    turns.assistantParts().push(...decodeAssistantContent(content, `${param}.content`, phase));
  } else if (role === "user") turns.push({ role, content: decodeUserContent(content, `${param}.content`) });
  else if (role === "system" || role === "developer") turns.push({ role, content: decodeTextOnly(content, `${param}.content`) });
  else throw f.invalidValue(`${param}.role`, role, ["user", "assistant", "system", "developer"]);
}

function contentArray(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw f.invalidType(param, "a string or an array of content parts", value);
  return value;
}

function decodeTextOnly(value: unknown, param: string): TextPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  return contentArray(value, param).map((raw, j) => {
    const p = `${param}[${j}]`;
    const part = f.record(raw, p);
    const type = f.string(part["type"], `${p}.type`);
    if (type !== "input_text") throw f.invalidValue(`${p}.type`, type, ["input_text"]);
    return { type: "text", text: f.string(part["text"], `${p}.text`) };
  });
}

function decodeUserContent(value: unknown, param: string): UserPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  return contentArray(value, param).map((raw, j) => decodeInputPart(raw, `${param}[${j}]`));
}

function decodeInputPart(raw: unknown, p: string): TextPart | ImagePart | FilePart {
  const part = f.record(raw, p);
  const type = f.string(part["type"], `${p}.type`);
  switch (type) {
    case "input_text":
      return { type: "text", text: f.string(part["text"], `${p}.text`) };
    case "input_image": {
      const url = f.optionalString(part["image_url"], `${p}.image_url`);
      const fileId = f.optionalString(part["file_id"], `${p}.file_id`);
      if (url === undefined && fileId === undefined) throw f.invalidValue(p, "{}", ["image_url", "file_id"]);
      const out: ImagePart = {
        type: "image",
        source: url !== undefined ? urlToMediaSource(url) : { kind: "file_id", fileId: fileId ?? "" },
      };
      const detail = f.optionalEnum(part["detail"], `${p}.detail`, DETAILS);
      if (detail !== undefined) out.detail = detail;
      return out;
    }
    case "input_file": {
      const filename = f.optionalString(part["filename"], `${p}.filename`);
      const fileData = f.optionalString(part["file_data"], `${p}.file_data`);
      const fileUrl = f.optionalString(part["file_url"], `${p}.file_url`);
      const fileId = f.optionalString(part["file_id"], `${p}.file_id`);
      let source: FilePart["source"];
      if (fileData !== undefined) source = fileDataToMediaSource(fileData, filename);
      else if (fileUrl !== undefined) source = { kind: "url", url: fileUrl };
      else if (fileId !== undefined) source = { kind: "file_id", fileId };
      else throw f.invalidValue(p, "{}", ["file_data", "file_url", "file_id"]);
      const out: FilePart = { type: "file", source };
      if (filename !== undefined) out.filename = filename;
      return out;
    }
    default:
      throw f.invalidValue(`${p}.type`, type, ["input_text", "input_image", "input_file"]);
  }
}

function decodeAssistantContent(value: unknown, param: string, phase: string | undefined): AssistantPart[] {
  if (typeof value === "string") return value === "" ? [] : [phase === undefined ? { type: "text", text: value } : { type: "text", text: value, phase }];
  return contentArray(value, param).map((raw, j): AssistantPart => {
    const p = `${param}[${j}]`;
    const part = f.record(raw, p);
    const type = f.string(part["type"], `${p}.type`);
    switch (type) {
      case "output_text":
      case "input_text": {
        const text: TextPart = { type: "text", text: f.string(part["text"], `${p}.text`) };
        const annotations = f.optionalArray(part["annotations"], `${p}.annotations`);
        if (annotations && annotations.length > 0) text.annotations = annotations;
        if (phase !== undefined) text.phase = phase;
        return text;
      }
      case "refusal":
        return { type: "refusal", text: f.string(part["refusal"], `${p}.refusal`) };
      default:
        throw f.invalidValue(`${p}.type`, type, ["output_text", "refusal"]);
    }
  });
}

function decodeToolOutput(value: unknown, param: string): ToolResultContentPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  return f.array(value, param).map((raw, j) => decodeInputPart(raw, `${param}[${j}]`));
}

/** A replayed reasoning item. Raw `content` wins for the readable text; the summary is kept as well. */
function decodeReasoningItem(item: JsonObject, param: string): ReasoningPart {
  const summary = (f.optionalArray(item["summary"], `${param}.summary`) ?? []).map((raw, j) =>
    f.string(f.record(raw, `${param}.summary[${j}]`)["text"], `${param}.summary[${j}].text`),
  );
  const content = (f.optionalArray(item["content"], `${param}.content`) ?? []).map((raw, j) =>
    f.string(f.record(raw, `${param}.content[${j}]`)["text"], `${param}.content[${j}].text`),
  );
  const part: ReasoningPart =
    content.length > 0 ? { type: "reasoning", text: content.join(""), kind: "raw" } : { type: "reasoning", text: summary.join("\n\n"), kind: "summary" };
  // A summary that only repeats the content is the proxy's own copy of raw reasoning (rawReasoning: both).
  if (summary.length > 0 && summary.join("") !== content.join("")) part.summary = summary;
  const id = f.optionalString(item["id"], `${param}.id`);
  if (id !== undefined) part.id = id;
  const encrypted = f.optionalString(item["encrypted_content"], `${param}.encrypted_content`);
  if (encrypted !== undefined) Object.assign(part, unpackReasoningOpaque(encrypted));
  return part;
}
