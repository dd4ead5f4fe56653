// Anthropic request content blocks → hub parts and messages. One user turn can become several hub
// messages: each `tool_result` is its own `tool` message, placed before the rest of the turn.

import type {
  AssistantPart,
  FilePart,
  ImagePart,
  MediaSource,
  Message,
  ReasoningPart,
  TextPart,
  ToolCallPart,
  ToolResultContentPart,
  TranslationWarning,
  UserPart,
} from "../ir.js";
import { TranslateError } from "../codec.js";
import { type JsonObject } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";
import { UNSUPPORTED_MESSAGES_BLOCK_TYPES } from "./messages-api.js";
import { unpackReasoningSignature } from "./reasoning-signature.js";

type Warnings = TranslationWarning[];

function notAllowed(type: string, role: string, param: string): never {
  throw new TranslateError(`\`${param}\`: \`${type}\` blocks are not allowed in ${role} messages`, { param });
}

function unknownType(type: string, param: string): never {
  throw new TranslateError(`\`${param}\`: unknown content block type \`${type}\``, { param });
}

function dropUnsupported(type: string, path: string, warnings: Warnings): void {
  warnings.push({ code: "content_dropped", path, message: `\`${type}\` blocks have no equivalent in the hub and were dropped` });
}

/**
 * Blocks the hub carries as text: a `compaction` summary (the history it replaces is gone, so the
 * summary is what the model must see) and a `tool_reference` (a tool search's find, by name).
 * Undefined for any other type, and for a compaction that failed (no summary): dropped with a warning.
 */
function blockAsText(block: JsonObject, type: string, path: string, warnings: Warnings): TextPart | null | undefined {
  if (type === "compaction") {
    const summary = f.optionalString(block.content ?? undefined, `${path}.content`);
    if (summary === undefined || summary === "") {
      dropUnsupported(type, path, warnings);
      return null;
    }
    warnings.push({ code: "value_adjusted", path, message: "the `compaction` summary was sent as text; its `encrypted_content` was dropped" });
    return { type: "text", text: summary };
  }
  if (type === "tool_reference") {
    const name = f.string(block.tool_name, `${path}.tool_name`);
    warnings.push({ code: "value_adjusted", path, message: "the `tool_reference` was sent as text naming the tool" });
    return { type: "text", text: `Tool loaded: ${name}` };
  }
  return undefined;
}

/** The last resort for a block type: kept as text, dropped with a warning, or refused as unknown. */
function otherBlock(block: JsonObject, type: string, path: string, warnings: Warnings, into: { push(part: TextPart): unknown }): void {
  const text = blockAsText(block, type, path, warnings);
  if (text) into.push(text);
  else if (text === null) return;
  else if (UNSUPPORTED_MESSAGES_BLOCK_TYPES.has(type)) dropUnsupported(type, path, warnings);
  else unknownType(type, `${path}.type`);
}

function decodeTextBlock(block: JsonObject, path: string): TextPart {
  const part: TextPart = { type: "text", text: f.string(block.text, `${path}.text`) };
  if (Array.isArray(block.citations) && block.citations.length > 0) part.annotations = block.citations;
  if (block.cache_control !== undefined && block.cache_control !== null) part.cacheControl = block.cache_control;
  return part;
}

function decodeMediaSource(value: unknown, path: string): MediaSource {
  const source = f.record(value, `${path}.source`);
  const type = f.string(source.type, `${path}.source.type`);
  switch (type) {
    case "base64":
      return {
        kind: "base64",
        mediaType: f.string(source.media_type, `${path}.source.media_type`),
        data: f.string(source.data, `${path}.source.data`),
      };
    case "url":
      return { kind: "url", url: f.string(source.url, `${path}.source.url`) };
    case "file":
      return { kind: "file_id", fileId: f.string(source.file_id, `${path}.source.file_id`) };
    default:
      return f.fail(`${path}.source.type`, "one of base64, url, file");
  }
}

function decodeImageBlock(block: JsonObject, path: string): ImagePart {
  const part: ImagePart = { type: "image", source: decodeMediaSource(block.source, path) };
  if (block.cache_control !== undefined && block.cache_control !== null) part.cacheControl = block.cache_control;
  return part;
}

/** `document`: PDFs and files keep their source; text and `content` sources become a text file. */
function decodeDocumentBlock(block: JsonObject, path: string, warnings: Warnings): FilePart {
  const source = f.record(block.source, `${path}.source`);
  const sourceType = f.string(source.type, `${path}.source.type`);
  let media: MediaSource;
  if (sourceType === "text") {
    const mediaType = f.optionalString(source.media_type, `${path}.source.media_type`);
    const text = f.string(source.data, `${path}.source.data`);
    media = mediaType === undefined ? { kind: "text", text } : { kind: "text", text, mediaType };
  } else if (sourceType === "content") {
    media = { kind: "text", text: decodeDocumentContent(source.content, `${path}.source.content`, warnings) };
  } else {
    media = decodeMediaSource(source, path);
  }
  const part: FilePart = { type: "file", source: media };
  const title = f.optionalString(block.title, `${path}.title`);
  if (title !== undefined) part.title = title;
  if (block.cache_control !== undefined && block.cache_control !== null) part.cacheControl = block.cache_control;
  for (const key of ["context", "citations"] as const) {
    if (block[key] !== undefined && block[key] !== null) {
      warnings.push({ code: "content_dropped", path: `${path}.${key}`, message: `document \`${key}\` has no equivalent in the hub and was dropped` });
    }
  }
  return part;
}

function decodeDocumentContent(value: unknown, path: string, warnings: Warnings): string {
  if (typeof value === "string") return value;
  const texts: string[] = [];
  f.array(value, path).forEach((item, i) => {
    const block = f.record(item, `${path}[${i}]`);
    if (block.type === "text") texts.push(f.string(block.text, `${path}[${i}].text`));
    else warnings.push({ code: "content_dropped", path: `${path}[${i}]`, message: "only the text of a content document is kept" });
  });
  return texts.join("\n\n");
}

function decodeToolResult(block: JsonObject, path: string, warnings: Warnings): Message {
  const toolCallId = f.string(block.tool_use_id, `${path}.tool_use_id`);
  const content: ToolResultContentPart[] = [];
  const raw = block.content;
  if (typeof raw === "string") {
    content.push({ type: "text", text: raw });
  } else if (raw !== undefined && raw !== null) {
    f.array(raw, `${path}.content`).forEach((item, k) => {
      const itemPath = `${path}.content[${k}]`;
      const inner = f.record(item, itemPath);
      const type = f.string(inner.type, `${itemPath}.type`);
      if (type === "text") content.push(decodeTextBlock(inner, itemPath));
      else if (type === "image") content.push(decodeImageBlock(inner, itemPath));
      else if (type === "document") content.push(decodeDocumentBlock(inner, itemPath, warnings));
      else otherBlock(inner, type, itemPath, warnings, content);
    });
  }
  const message: Message = { role: "tool", toolCallId, content };
  const isError = f.optionalBoolean(block.is_error, `${path}.is_error`);
  if (isError !== undefined) message.isError = isError;
  if (block.cache_control !== undefined && block.cache_control !== null) message.cacheControl = block.cache_control;
  return message;
}

function blocksOf(content: unknown, path: string): JsonObject[] {
  return f.array(content, path).map((item, j) => f.record(item, `${path}[${j}]`));
}

export function decodeUserTurn(content: unknown, path: string, warnings: Warnings): Message[] {
  if (typeof content === "string") return [{ role: "user", content: [{ type: "text", text: content }] }];
  const toolMessages: Message[] = [];
  const parts: UserPart[] = [];
  blocksOf(content, `${path}.content`).forEach((block, j) => {
    const blockPath = `${path}.content[${j}]`;
    const type = f.string(block.type, `${blockPath}.type`);
    switch (type) {
      case "text":
        parts.push(decodeTextBlock(block, blockPath));
        break;
      case "image":
        parts.push(decodeImageBlock(block, blockPath));
        break;
      case "document":
        parts.push(decodeDocumentBlock(block, blockPath, warnings));
        break;
      case "tool_result":
        toolMessages.push(decodeToolResult(block, blockPath, warnings));
        break;
      case "tool_use":
      case "thinking":
      case "redacted_thinking":
        notAllowed(type, "user", `${blockPath}.type`);
        break;
      default:
        otherBlock(block, type, blockPath, warnings, parts);
    }
  });
  // Tool results answer the previous assistant turn, so they come first (docs/protocol.md §4.3).
  if (parts.length === 0 && toolMessages.length > 0) return toolMessages;
  return [...toolMessages, { role: "user", content: parts }];
}

function decodeThinkingBlock(block: JsonObject, path: string): ReasoningPart {
  const text = f.string(block.thinking, `${path}.thinking`);
  const signature = f.optionalString(block.signature, `${path}.signature`) ?? "";
  return { type: "reasoning", text, ...unpackReasoningSignature(signature) };
}

function decodeToolUseBlock(block: JsonObject, path: string): ToolCallPart {
  const input = block.input === undefined ? {} : f.record(block.input, `${path}.input`);
  const part: ToolCallPart = {
    type: "tool_call",
    id: f.string(block.id, `${path}.id`),
    name: f.string(block.name, `${path}.name`),
    arguments: JSON.stringify(input),
  };
  if (block.cache_control !== undefined && block.cache_control !== null) part.cacheControl = block.cache_control;
  return part;
}

export function decodeAssistantTurn(content: unknown, path: string, warnings: Warnings): Message {
  if (typeof content === "string") return { role: "assistant", content: [{ type: "text", text: content }] };
  const parts: AssistantPart[] = [];
  blocksOf(content, `${path}.content`).forEach((block, j) => {
    const blockPath = `${path}.content[${j}]`;
    const type = f.string(block.type, `${blockPath}.type`);
    switch (type) {
      case "text":
        parts.push(decodeTextBlock(block, blockPath));
        break;
      case "thinking":
        parts.push(decodeThinkingBlock(block, blockPath));
        break;
      case "redacted_thinking":
        parts.push({ type: "reasoning", text: "", redactedData: f.string(block.data, `${blockPath}.data`) });
        break;
      case "tool_use":
        parts.push(decodeToolUseBlock(block, blockPath));
        break;
      case "tool_result":
      case "image":
      case "document":
        notAllowed(type, "assistant", `${blockPath}.type`);
        break;
      default:
        otherBlock(block, type, blockPath, warnings, parts);
    }
  });
  return { role: "assistant", content: parts };
}

/** `system` (top level, or a 2026-style `role: "system"` message): a string or text blocks. */
export function decodeSystemContent(content: unknown, path: string): TextPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return blocksOf(content, path).map((block, j) => {
    const blockPath = `${path}[${j}]`;
    const type = f.string(block.type, `${blockPath}.type`);
    if (type !== "text") f.fail(`${blockPath}.type`, "`text`");
    return decodeTextBlock(block, blockPath);
  });
}
