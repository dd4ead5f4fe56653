// Chat `messages[]` -> hub messages, validating every field the hub reads.

import { TranslateError } from "../codec.js";
import type {
  AssistantPart,
  ImagePart,
  Message,
  TextPart,
  TranslationWarning,
  UserPart,
} from "../ir.js";
import { fileDataToMediaSource, urlToMediaSource } from "../shared/data-url.js";
import {
  invalidType,
  invalidValue,
  optionalArray,
  optionalEnum,
  optionalRecord,
  optionalString,
  requireArray,
  requireRecord,
  requireString,
} from "../shared/validate.js";

const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;
const DETAILS = ["auto", "low", "high", "original"] as const;

export function decodeChatMessages(value: unknown, warnings: TranslationWarning[]): Message[] {
  const list = requireArray(value, "messages");
  if (list.length === 0) {
    throw new TranslateError("'messages' must contain at least one message.", { param: "messages", code: "invalid_value" });
  }
  return list.map((raw, i) => decodeMessage(raw, `messages[${i}]`, warnings));
}

function decodeMessage(raw: unknown, param: string, warnings: TranslationWarning[]): Message {
  const msg = requireRecord(raw, param);
  const role = requireString(msg["role"], `${param}.role`);
  if (msg["name"] !== undefined && msg["name"] !== null) {
    optionalString(msg["name"], `${param}.name`);
    warnings.push({ path: `${param}.name`, message: "message names have no equivalent on this route and were dropped" });
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
        toolCallId: requireString(msg["tool_call_id"], `${param}.tool_call_id`),
        content: decodeTextContent(msg["content"], `${param}.content`),
      };
    default:
      throw invalidValue(`${param}.role`, role, ROLES);
  }
}

/** `string | [{type:"text", text}]`, as system, developer and tool messages carry it. */
function decodeTextContent(value: unknown, param: string): TextPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  if (!Array.isArray(value)) throw invalidType(param, "a string or an array of content parts", value);
  return value.map((raw, j) => {
    const p = `${param}[${j}]`;
    const part = requireRecord(raw, p);
    const type = requireString(part["type"], `${p}.type`);
    if (type !== "text") throw invalidValue(`${p}.type`, type, ["text"]);
    return { type: "text", text: requireString(part["text"], `${p}.text`) };
  });
}

function decodeUserContent(value: unknown, param: string): UserPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  if (!Array.isArray(value)) throw invalidType(param, "a string or an array of content parts", value);
  return value.map((raw, j) => decodeUserPart(raw, `${param}[${j}]`));
}

function decodeUserPart(raw: unknown, p: string): UserPart {
  const part = requireRecord(raw, p);
  const type = requireString(part["type"], `${p}.type`);
  switch (type) {
    case "text":
      return { type: "text", text: requireString(part["text"], `${p}.text`) };
    case "image_url": {
      // Some clients send `image_url: "<url>"` instead of `{url}`; vLLM and LiteLLM accept it too.
      const img = part["image_url"];
      const obj = typeof img === "string" ? { url: img } : requireRecord(img, `${p}.image_url`);
      const out: ImagePart = { type: "image", source: urlToMediaSource(requireString(obj["url"], `${p}.image_url.url`)) };
      const detail = optionalEnum(obj["detail"], `${p}.image_url.detail`, DETAILS);
      if (detail !== undefined) out.detail = detail;
      return out;
    }
    case "input_audio": {
      const audio = requireRecord(part["input_audio"], `${p}.input_audio`);
      return {
        type: "audio",
        data: requireString(audio["data"], `${p}.input_audio.data`),
        format: requireString(audio["format"], `${p}.input_audio.format`),
      };
    }
    case "file": {
      const file = requireRecord(part["file"], `${p}.file`);
      const filename = optionalString(file["filename"], `${p}.file.filename`);
      const fileId = optionalString(file["file_id"], `${p}.file.file_id`);
      const fileData = optionalString(file["file_data"], `${p}.file.file_data`);
      if (fileId === undefined && fileData === undefined) throw invalidValue(`${p}.file`, "{}", ["file_id", "file_data"]);
      const source = fileData !== undefined ? fileDataToMediaSource(fileData, filename) : { kind: "file_id" as const, fileId: fileId ?? "" };
      return filename !== undefined ? { type: "file", source, filename } : { type: "file", source };
    }
    default:
      throw invalidValue(`${p}.type`, type, ["text", "image_url", "input_audio", "file"]);
  }
}

function decodeAssistant(msg: Record<string, unknown>, param: string, warnings: TranslationWarning[]): AssistantPart[] {
  const parts: AssistantPart[] = [];
  // Non-standard reasoning fields of OpenAI-compatible servers (DeepSeek, vLLM: reasoning_content; OpenRouter: reasoning).
  const reasoning =
    optionalString(msg["reasoning_content"], `${param}.reasoning_content`) ??
    (typeof msg["reasoning"] === "string" ? msg["reasoning"] : undefined);
  if (reasoning) parts.push({ type: "reasoning", text: reasoning, kind: "raw" });

  const content = msg["content"];
  if (typeof content === "string") {
    if (content !== "") parts.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((raw, j) => {
      const p = `${param}.content[${j}]`;
      const part = requireRecord(raw, p);
      const type = requireString(part["type"], `${p}.type`);
      if (type === "text") parts.push({ type: "text", text: requireString(part["text"], `${p}.text`) });
      else if (type === "refusal") parts.push({ type: "refusal", text: requireString(part["refusal"], `${p}.refusal`) });
      else throw invalidValue(`${p}.type`, type, ["text", "refusal"]);
    });
  } else if (content !== undefined && content !== null) {
    throw invalidType(`${param}.content`, "a string, an array of content parts or null", content);
  }

  const refusal = optionalString(msg["refusal"], `${param}.refusal`);
  if (refusal) parts.push({ type: "refusal", text: refusal });

  const audio = optionalRecord(msg["audio"], `${param}.audio`);
  if (audio) parts.push({ type: "audio_output", id: requireString(audio["id"], `${param}.audio.id`) });

  const toolCalls = optionalArray(msg["tool_calls"], `${param}.tool_calls`) ?? [];
  toolCalls.forEach((raw, k) => {
    const p = `${param}.tool_calls[${k}]`;
    const call = requireRecord(raw, p);
    const type = optionalString(call["type"], `${p}.type`) ?? "function";
    if (type !== "function") {
      warnings.push({ path: p, message: `tool call type '${type}' is not supported by this route and was dropped` });
      return;
    }
    const fn = requireRecord(call["function"], `${p}.function`);
    parts.push({
      type: "tool_call",
      id: requireString(call["id"], `${p}.id`),
      name: requireString(fn["name"], `${p}.function.name`),
      arguments: optionalString(fn["arguments"], `${p}.function.arguments`) ?? "",
    });
  });
  if (msg["function_call"] !== undefined && msg["function_call"] !== null) {
    warnings.push({ path: `${param}.function_call`, message: "deprecated function_call was dropped; use tool_calls" });
  }
  return parts;
}
