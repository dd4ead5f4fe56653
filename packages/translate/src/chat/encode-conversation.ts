// Hub messages -> Chat `messages[]` for an OpenAI-compatible backend.

import type { AssistantPart, Message, TextPart, ToolResultContentPart, TranslationWarning, UserPart } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { mediaSourceToUrl } from "../shared/data-url.js";

export interface EncodeChatMessagesOptions {
  supportsReasoning: boolean;
  /** Role for hub `developer` messages; many OpenAI-compatible servers only know `system`. */
  developerRole: "developer" | "system";
}

export function encodeChatMessages(messages: readonly Message[], opts: EncodeChatMessagesOptions, warnings: TranslationWarning[]): JsonObject[] {
  const out: JsonObject[] = [];
  // Chat tool messages carry text only; media from tool results follows the run of tool messages
  // as one user message, so tool results still directly follow the assistant's tool_calls.
  let pendingToolMedia: JsonObject[] = [];
  const flushToolMedia = (): void => {
    if (pendingToolMedia.length > 0) out.push({ role: "user", content: pendingToolMedia });
    pendingToolMedia = [];
  };

  messages.forEach((msg, i) => {
    const path = `messages[${i}]`;
    if (msg.role !== "tool") flushToolMedia();
    switch (msg.role) {
      case "system":
      case "developer":
        out.push({ role: msg.role === "developer" ? opts.developerRole : "system", content: textContent(msg.content) });
        return;
      case "user":
        out.push({ role: "user", content: userContent(msg.content, path, warnings) });
        return;
      case "assistant":
        out.push(assistantMessage(msg.content, path, opts, warnings));
        return;
      case "tool": {
        const texts: TextPart[] = [];
        msg.content.forEach((part, j) => {
          if (part.type === "text") texts.push(part);
          else {
            const encoded = userPart(part, `${path}.content[${j}]`, warnings);
            if (encoded) pendingToolMedia.push(encoded);
            warnings.push({
              code: "value_adjusted",
              path: `${path}.content[${j}]`,
              message: "Chat tool messages hold text only; the attachment was sent in a user message after the tool results",
            });
          }
        });
        if (msg.isError) {
          warnings.push({ code: "value_adjusted", path: `${path}.isError`, message: "Chat has no tool-error flag; the result was sent as plain content" });
        }
        out.push({ role: "tool", tool_call_id: msg.toolCallId, content: texts.length === 0 ? "" : textContent(texts) });
        return;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  });
  flushToolMedia();
  return out;
}

/** One text part as a plain string (the form every compatible server accepts), several as parts. */
function textContent(parts: readonly TextPart[]): string | JsonObject[] {
  if (parts.length === 1 && parts[0]) return parts[0].text;
  return parts.map((p) => ({ type: "text", text: p.text }));
}

function userContent(parts: readonly UserPart[], path: string, warnings: TranslationWarning[]): string | JsonObject[] {
  if (parts.length === 1 && parts[0]?.type === "text") return parts[0].text;
  const out: JsonObject[] = [];
  parts.forEach((part, j) => {
    const encoded = userPart(part, `${path}.content[${j}]`, warnings);
    if (encoded) out.push(encoded);
  });
  return out;
}

function userPart(part: UserPart | ToolResultContentPart, path: string, warnings: TranslationWarning[]): JsonObject | undefined {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image": {
      const url = mediaSourceToUrl(part.source);
      if (url === undefined) {
        warnings.push({ code: "content_dropped", path, message: `Chat images need a URL or inline data; a ${part.source.kind} image was dropped` });
        return undefined;
      }
      const imageUrl: JsonObject = { url };
      if (part.detail !== undefined) imageUrl["detail"] = part.detail;
      return { type: "image_url", image_url: imageUrl };
    }
    case "file": {
      const src = part.source;
      const file: JsonObject = {};
      if (src.kind === "text") return { type: "text", text: src.text };
      if (src.kind === "base64") file["file_data"] = `data:${src.mediaType};base64,${src.data}`;
      else if (src.kind === "file_id") file["file_id"] = src.fileId;
      else {
        warnings.push({ code: "content_dropped", path, message: "Chat files cannot be given by URL; the file was dropped" });
        return undefined;
      }
      const filename = part.filename ?? (src.kind === "base64" ? defaultFilename(src.mediaType) : undefined);
      if (filename !== undefined) file["filename"] = filename;
      return { type: "file", file };
    }
    case "audio":
      return { type: "input_audio", input_audio: { data: part.data, format: part.format } };
    default: {
      const never: never = part;
      return never;
    }
  }
}

function defaultFilename(mediaType: string): string {
  return mediaType === "application/pdf" ? "document.pdf" : "file";
}

function assistantMessage(parts: readonly AssistantPart[], path: string, opts: EncodeChatMessagesOptions, warnings: TranslationWarning[]): JsonObject {
  let text = "";
  let hasText = false;
  const refusals: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: JsonObject[] = [];
  let audioId: string | undefined;
  parts.forEach((part, j) => {
    switch (part.type) {
      case "text":
        text += part.text;
        hasText = true;
        return;
      case "refusal":
        refusals.push(part.text);
        return;
      case "reasoning":
        if (!opts.supportsReasoning) {
          warnings.push({
            code: "reasoning_dropped",
            path: `${path}.content[${j}]`,
            message: "the backend does not take reasoning history; the reasoning was dropped",
          });
        } else if (part.text === "") {
          warnings.push({
            code: "reasoning_dropped",
            path: `${path}.content[${j}]`,
            message: "reasoning without readable text (opaque data only) was dropped",
          });
        } else {
          reasoning.push(part.text);
          if (part.signature !== undefined || part.encryptedContent !== undefined || part.redactedData !== undefined) {
            warnings.push({
              code: "reasoning_dropped",
              path: `${path}.content[${j}]`,
              message: "Chat has no field for reasoning signatures or encrypted content; only the reasoning text was sent",
            });
          }
        }
        return;
      case "tool_call":
        toolCalls.push({ id: part.id, type: "function", function: { name: part.name, arguments: part.arguments } });
        return;
      case "audio_output":
        if (part.id !== undefined) audioId = part.id;
        return;
      case "web_search_call":
        warnings.push({ code: "content_dropped", path: `${path}.content[${j}]`, message: "Chat has no hosted web search; the search in history was dropped" });
        return;
      default: {
        const never: never = part;
        return never;
      }
    }
  });
  const msg: JsonObject = { role: "assistant", content: hasText ? text : null };
  if (refusals.length > 0) msg["refusal"] = refusals.join("");
  if (reasoning.length > 0) msg["reasoning_content"] = reasoning.join("\n\n");
  if (toolCalls.length > 0) msg["tool_calls"] = toolCalls;
  if (audioId !== undefined) msg["audio"] = { id: audioId };
  return msg;
}
