// Hub messages → Anthropic `system` blocks + alternating user/assistant turns. System and developer messages
// are hoisted; consecutive tool results become one user turn of `tool_result` blocks; same-role turns merge.

import type { AssistantPart, FilePart, ImagePart, Message, TextPart, ToolResultContentPart, TranslationWarning, UserPart } from "../ir.js";
import { parseToolArguments, type JsonObject } from "../shared/guards.js";
import { isMessagesCitation, normalizeImageMediaType, toMessagesToolId } from "./messages-api.js";

type Warnings = TranslationWarning[];

interface MessagesTurn {
  role: "user" | "assistant";
  content: JsonObject[];
}

export interface MessagesPrompt {
  system: JsonObject[];
  messages: MessagesTurn[];
}

function withCacheControl(block: JsonObject, cacheControl: unknown): JsonObject {
  return cacheControl === undefined || cacheControl === null ? block : { ...block, cache_control: cacheControl };
}

function textBlock(part: TextPart): JsonObject | undefined {
  if (part.text === "") return undefined; // Anthropic rejects empty text blocks
  const block: JsonObject = { type: "text", text: part.text };
  const citations = (part.annotations ?? []).filter(isMessagesCitation);
  if (citations.length > 0) block.citations = citations;
  return withCacheControl(block, part.cacheControl);
}

function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
  if (match === null) return undefined;
  return { mediaType: match[1] ?? "", data: match[3] ?? "" };
}

function imageFromBase64(mediaType: string, data: string, path: string, warnings: Warnings): JsonObject | undefined {
  const normalized = normalizeImageMediaType(mediaType);
  if (normalized === undefined) {
    warnings.push({ code: "content_dropped", path, message: `image type \`${mediaType}\` is not accepted by Anthropic (jpeg, png, gif, webp only); dropped` });
    return undefined;
  }
  return { type: "image", source: { type: "base64", media_type: normalized, data } };
}

function imageBlock(part: ImagePart, path: string, warnings: Warnings): JsonObject | undefined {
  const source = part.source;
  let block: JsonObject | undefined;
  switch (source.kind) {
    case "base64":
      block = imageFromBase64(source.mediaType, source.data, path, warnings);
      break;
    case "url": {
      const data = parseDataUrl(source.url);
      if (data !== undefined) block = imageFromBase64(data.mediaType, data.data, path, warnings);
      else if (/^https?:\/\//i.test(source.url)) block = { type: "image", source: { type: "url", url: source.url } };
      else warnings.push({ code: "content_dropped", path, message: "only base64 data URLs and http(s) image URLs can be sent to Anthropic; dropped" });
      break;
    }
    case "file_id":
      block = { type: "image", source: { type: "file", file_id: source.fileId } };
      break;
    case "text":
      warnings.push({ code: "content_dropped", path, message: "an image with a text source cannot be sent to Anthropic; dropped" });
      break;
    default: {
      const exhaustive: never = source;
      return exhaustive;
    }
  }
  return block === undefined ? undefined : withCacheControl(block, part.cacheControl);
}

function documentFromBase64(mediaType: string, data: string, path: string, warnings: Warnings): JsonObject | undefined {
  if (mediaType === "application/pdf") return { type: "document", source: { type: "base64", media_type: mediaType, data } };
  if (mediaType.startsWith("image/")) return imageFromBase64(mediaType, data, path, warnings);
  if (mediaType.startsWith("text/")) {
    const text = Buffer.from(data, "base64").toString("utf8");
    return { type: "document", source: { type: "text", media_type: "text/plain", data: text } };
  }
  warnings.push({ code: "content_dropped", path, message: `file type \`${mediaType}\` cannot be sent to Anthropic (PDF, text and images only); dropped` });
  return undefined;
}

function fileBlock(part: FilePart, path: string, warnings: Warnings): JsonObject | undefined {
  const source = part.source;
  let block: JsonObject | undefined;
  switch (source.kind) {
    case "base64":
      block = documentFromBase64(source.mediaType, source.data, path, warnings);
      break;
    case "url": {
      const data = parseDataUrl(source.url);
      if (data !== undefined) block = documentFromBase64(data.mediaType, data.data, path, warnings);
      else if (/^https?:\/\//i.test(source.url)) block = { type: "document", source: { type: "url", url: source.url } };
      else warnings.push({ code: "content_dropped", path, message: "only base64 data URLs and http(s) file URLs can be sent to Anthropic; dropped" });
      break;
    }
    case "file_id":
      block = { type: "document", source: { type: "file", file_id: source.fileId } };
      break;
    case "text":
      block = { type: "document", source: { type: "text", media_type: "text/plain", data: source.text } };
      break;
    default: {
      const exhaustive: never = source;
      return exhaustive;
    }
  }
  if (block === undefined) return undefined;
  const title = part.title ?? part.filename;
  if (block.type === "document" && title !== undefined) block = { ...block, title };
  return withCacheControl(block, part.cacheControl);
}

function userBlock(part: UserPart | ToolResultContentPart, path: string, warnings: Warnings): JsonObject | undefined {
  switch (part.type) {
    case "text":
      return textBlock(part);
    case "image":
      return imageBlock(part, path, warnings);
    case "file":
      return fileBlock(part, path, warnings);
    case "audio":
      warnings.push({ code: "content_dropped", path, message: "audio input is not supported by Anthropic; dropped" });
      return undefined;
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

function assistantBlock(part: AssistantPart, path: string, warnings: Warnings): JsonObject | undefined {
  switch (part.type) {
    case "text":
      return textBlock(part);
    case "refusal":
      return part.text === "" ? undefined : { type: "text", text: part.text };
    case "reasoning":
      if (part.redactedData !== undefined) return { type: "redacted_thinking", data: part.redactedData };
      if (part.signature !== undefined && part.signature !== "") {
        return { type: "thinking", thinking: part.text, signature: part.signature };
      }
      if (part.text !== "" || part.encryptedContent !== undefined) {
        warnings.push({ code: "reasoning_dropped", path, message: "reasoning without an Anthropic signature cannot be replayed to Anthropic; dropped" });
      }
      return undefined;
    case "tool_call": {
      const { input, ok } = parseToolArguments(part.arguments);
      if (!ok) warnings.push({ code: "value_adjusted", path, message: `tool call \`${part.name}\` arguments are not a JSON object; sent as {}` });
      return withCacheControl({ type: "tool_use", id: toMessagesToolId(part.id), name: part.name, input }, part.cacheControl);
    }
    case "audio_output":
      if (part.transcript !== undefined && part.transcript !== "") return { type: "text", text: part.transcript };
      warnings.push({ code: "content_dropped", path, message: "audio output cannot be replayed to Anthropic; dropped" });
      return undefined;
    case "web_search_call":
      warnings.push({ code: "content_dropped", path, message: "a web search without Anthropic's encrypted results cannot be replayed to Anthropic; dropped" });
      return undefined;
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

function toolResultBlock(message: Extract<Message, { role: "tool" }>, path: string, warnings: Warnings): JsonObject {
  const blocks = message.content
    .map((part, j) => userBlock(part, `${path}.content[${j}]`, warnings))
    .filter((block): block is JsonObject => block !== undefined);
  const block: JsonObject = { type: "tool_result", tool_use_id: toMessagesToolId(message.toolCallId) };
  const only = blocks[0];
  // A lone plain text result goes back as the string Anthropic clients usually send.
  if (blocks.length === 1 && only !== undefined && only.type === "text" && Object.keys(only).length === 2) block.content = only.text;
  else if (blocks.length > 0) block.content = blocks;
  if (message.isError !== undefined) block.is_error = message.isError;
  return withCacheControl(block, message.cacheControl);
}

function present(blocks: (JsonObject | undefined)[]): JsonObject[] {
  return blocks.filter((block): block is JsonObject => block !== undefined);
}

export function convertToMessagesPrompt(messages: Message[], warnings: Warnings): MessagesPrompt {
  const system: JsonObject[] = [];
  const turns: MessagesTurn[] = [];
  messages.forEach((message, i) => {
    const path = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...present(message.content.map(textBlock)));
        break;
      case "user":
        turns.push({ role: "user", content: present(message.content.map((part, j) => userBlock(part, `${path}.content[${j}]`, warnings))) });
        break;
      case "assistant":
        turns.push({
          role: "assistant",
          content: present(message.content.map((part, j) => assistantBlock(part, `${path}.content[${j}]`, warnings))),
        });
        break;
      case "tool":
        turns.push({ role: "user", content: [toolResultBlock(message, path, warnings)] });
        break;
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  });
  return { system, messages: mergeTurns(turns) };
}

/** Anthropic wants alternating roles, and `tool_result` blocks first in the user turn that answers tool use. */
function mergeTurns(turns: MessagesTurn[]): MessagesTurn[] {
  const merged: MessagesTurn[] = [];
  for (const turn of turns) {
    if (turn.content.length === 0) continue;
    const last = merged[merged.length - 1];
    if (last !== undefined && last.role === turn.role) last.content.push(...turn.content);
    else merged.push({ role: turn.role, content: [...turn.content] });
  }
  for (const turn of merged) {
    if (turn.role !== "user") continue;
    const results = turn.content.filter((block) => block.type === "tool_result");
    if (results.length > 0) turn.content = [...results, ...turn.content.filter((block) => block.type !== "tool_result")];
  }
  return merged;
}
