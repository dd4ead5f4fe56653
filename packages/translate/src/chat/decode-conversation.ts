// Chat `messages[]` -> hub messages, validating every field the hub reads.

import { TranslateError } from "../codec.js";
import type { AssistantPart, ImagePart, Message, TextPart, TranslationWarning, UserPart } from "../ir.js";
import { fileDataToMediaSource, urlToMediaSource } from "../shared/data-url.js";
import { requestFields as f } from "../shared/validate.js";

const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;
const DETAILS = ["auto", "low", "high", "original"] as const;

export function decodeChatMessages(value: unknown, warnings: TranslationWarning[]): Message[] {
  const list = f.array(value, "messages");
  if (list.length === 0) {
    throw new TranslateError("'messages' must contain at least one message.", { param: "messages", code: "invalid_value" });
  }
  return list.map((raw, i) => decodeMessage(raw, `messages[${i}]`, warnings));
}

function decodeMessage(raw: unknown, param: string, warnings: TranslationWarning[]): Message {
  const msg = f.record(raw, param);
  const role = f.string(msg["role"], `${param}.role`);
  if (msg["name"] !== undefined && msg["name"] !== null) {
    f.optionalString(msg["name"], `${param}.name`);
    warnings.push({ code: "field_dropped", path: `${param}.name`, message: "message names have no equivalent on this route and were dropped" });
  }
  switch (role) {
    case "system":
    case "developer":
      return { role, content: decodeTextContent(msg["content"], `${param}.content`) };
    case "user":
      return { role, content: decodeUserContent(msg["content"], `${param}.content`) };
    case "assistant":
      return { role, content: decodeAssistant(msg, param, warnings) };
    case "tool":
      return {
        role,
        toolCallId: f.string(msg["tool_call_id"], `${param}.tool_call_id`),
        content: decodeTextContent(msg["content"], `${param}.content`),
      };
    default:
      throw f.invalidValue(`${param}.role`, role, ROLES);
  }
}

/** `string | [{type:"text", text}]`, as system, developer and tool messages carry it. */
function decodeTextContent(value: unknown, param: string): TextPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  if (!Array.isArray(value)) throw f.invalidType(param, "a string or an array of content parts", value);
  return value.map((raw, j) => {
    const p = `${param}[${j}]`;
    const part = f.record(raw, p);
    const type = f.string(part["type"], `${p}.type`);
    if (type !== "text") throw f.invalidValue(`${p}.type`, type, ["text"]);
    return { type: "text", text: f.string(part["text"], `${p}.text`) };
  });
}

function decodeUserContent(value: unknown, param: string): UserPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  if (!Array.isArray(value)) throw f.invalidType(param, "a string or an array of content parts", value);
  return value.map((raw, j) => decodeUserPart(raw, `${param}[${j}]`));
}

function decodeUserPart(raw: unknown, p: string): UserPart {
  const part = f.record(raw, p);
  const type = f.string(part["type"], `${p}.type`);
  switch (type) {
    case "text":
      return { type: "text", text: f.string(part["text"], `${p}.text`) };
    case "image_url": {
      // Some clients send `image_url: "<url>"` instead of `{url}`; vLLM and LiteLLM accept it too.
      const img = part["image_url"];
      const obj = typeof img === "string" ? { url: img } : f.record(img, `${p}.image_url`);
      const out: ImagePart = { type: "image", source: urlToMediaSource(f.string(obj["url"], `${p}.image_url.url`)) };
      const detail = f.optionalEnum(obj["detail"], `${p}.image_url.detail`, DETAILS);
      if (detail !== undefined) out.detail = detail;
      return out;
    }
    case "input_audio": {
      const audio = f.record(part["input_audio"], `${p}.input_audio`);
      return {
        type: "audio",
        data: f.string(audio["data"], `${p}.input_audio.data`),
        format: f.string(audio["format"], `${p}.input_audio.format`),
      };
    }
    case "file": {
      const file = f.record(part["file"], `${p}.file`);
      const filename = f.optionalString(file["filename"], `${p}.file.filename`);
      const fileId = f.optionalString(file["file_id"], `${p}.file.file_id`);
      const fileData = f.optionalString(file["file_data"], `${p}.file.file_data`);
      if (fileId === undefined && fileData === undefined) throw f.invalidValue(`${p}.file`, "{}", ["file_id", "file_data"]);
      const source = fileData !== undefined ? fileDataToMediaSource(fileData, filename) : { kind: "file_id" as const, fileId: fileId ?? "" };
      return filename !== undefined ? { type: "file", source, filename } : { type: "file", source };
    }
    default:
      throw f.invalidValue(`${p}.type`, type, ["text", "image_url", "input_audio", "file"]);
  }
}

function decodeAssistant(msg: Record<string, unknown>, param: string, warnings: TranslationWarning[]): AssistantPart[] {
  const parts: AssistantPart[] = [];
  // Non-standard reasoning fields of OpenAI-compatible servers (DeepSeek, vLLM: reasoning_content; OpenRouter: reasoning).
  const reasoning =
    f.optionalString(msg["reasoning_content"], `${param}.reasoning_content`) ?? (typeof msg["reasoning"] === "string" ? msg["reasoning"] : undefined);
  if (reasoning) parts.push({ type: "reasoning", text: reasoning, kind: "raw" });

  const content = msg["content"];
  if (typeof content === "string") {
    if (content !== "") parts.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((raw, j) => {
      const p = `${param}.content[${j}]`;
      const part = f.record(raw, p);
      const type = f.string(part["type"], `${p}.type`);
      if (type === "text") parts.push({ type: "text", text: f.string(part["text"], `${p}.text`) });
      else if (type === "refusal") parts.push({ type: "refusal", text: f.string(part["refusal"], `${p}.refusal`) });
      else throw f.invalidValue(`${p}.type`, type, ["text", "refusal"]);
    });
  } else if (content !== undefined && content !== null) {
    throw f.invalidType(`${param}.content`, "a string, an array of content parts or null", content);
  }

  const refusal = f.optionalString(msg["refusal"], `${param}.refusal`);
  if (refusal) parts.push({ type: "refusal", text: refusal });

  const audio = f.optionalRecord(msg["audio"], `${param}.audio`);
  if (audio) parts.push({ type: "audio_output", id: f.string(audio["id"], `${param}.audio.id`) });

  const toolCalls = f.optionalArray(msg["tool_calls"], `${param}.tool_calls`) ?? [];
  toolCalls.forEach((raw, k) => {
    const p = `${param}.tool_calls[${k}]`;
    const call = f.record(raw, p);
    const type = f.optionalString(call["type"], `${p}.type`) ?? "function";
    if (type !== "function") {
      warnings.push({ code: "tool_dropped", path: p, message: `tool call type '${type}' is not supported by this route and was dropped` });
      return;
    }
    const fn = f.record(call["function"], `${p}.function`);
    parts.push({
      type: "tool_call",
      id: f.string(call["id"], `${p}.id`),
      name: f.string(fn["name"], `${p}.function.name`),
      arguments: f.optionalString(fn["arguments"], `${p}.function.arguments`) ?? "",
    });
  });
  if (msg["function_call"] !== undefined && msg["function_call"] !== null) {
    warnings.push({ code: "field_dropped", path: `${param}.function_call`, message: "deprecated function_call was dropped; use tool_calls" });
  }
  return parts;
}
