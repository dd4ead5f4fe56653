// Hub messages -> Responses `instructions` + `input` items for a native Responses backend.

import type { AssistantPart, ClientToolKind, Message, ReasoningPart, ToolCallPart, ToolResultContentPart, TranslationWarning, UserPart } from "../ir.js";
import { customInputOf, toolSearchArgumentsOf } from "./client-tools.js";
import { toResponsesAnnotations } from "../shared/annotations.js";
import { mediaSourceToUrl } from "../shared/data-url.js";
import type { JsonObject } from "../shared/guards.js";

export interface EncodedInput {
  instructions: string | undefined;
  input: JsonObject[];
}

export function encodeResponsesInput(messages: readonly Message[], opts: { store: boolean }, warnings: TranslationWarning[]): EncodedInput {
  // A leading system/developer message becomes `instructions` (where Responses' own decoder put
  // it); any later one stays an input message, so a Codex-style developer message keeps its place.
  const first = messages[0];
  let instructions: string | undefined;
  let lead = 0;
  if (first && (first.role === "system" || first.role === "developer")) {
    instructions = first.content.map((p) => p.text).join("\n\n");
    lead = 1;
  }
  const input: JsonObject[] = [];
  // Which client tool each call id belongs to, so its output item is of the matching type.
  const callKinds = new Map<string, ClientToolKind>();
  messages.slice(lead).forEach((msg, k) => {
    const i = k + lead;
    const path = `messages[${i}]`;
    switch (msg.role) {
      case "system":
      case "developer":
        input.push({ type: "message", role: msg.role, content: msg.content.map((p) => ({ type: "input_text", text: p.text })) });
        return;
      case "user":
        input.push({ type: "message", role: "user", content: encodeInputParts(msg.content, path, warnings) });
        return;
      case "assistant":
        for (const part of msg.content) if (part.type === "tool_call" && part.client) callKinds.set(part.id, part.client);
        input.push(...encodeAssistant(msg.content, path, opts, warnings));
        return;
      case "tool": {
        if (msg.isError)
          warnings.push({ code: "value_adjusted", path: `${path}.isError`, message: "Responses has no tool-error flag; the output was sent as is" });
        const allText = msg.content.every((p) => p.type === "text");
        const output = allText ? msg.content.map((p) => (p.type === "text" ? p.text : "")).join("") : encodeInputParts(msg.content, path, warnings);
        input.push(encodeToolOutput(msg.toolCallId, output, callKinds.get(msg.toolCallId)));
        return;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  });
  return { instructions, input };
}

function encodeInputParts(parts: readonly (UserPart | ToolResultContentPart)[], path: string, warnings: TranslationWarning[]): JsonObject[] {
  const out: JsonObject[] = [];
  parts.forEach((part, j) => {
    const p = `${path}.content[${j}]`;
    switch (part.type) {
      case "text":
        out.push({ type: "input_text", text: part.text });
        return;
      case "image": {
        const url = mediaSourceToUrl(part.source);
        const image: JsonObject = { type: "input_image", detail: part.detail ?? "auto" };
        if (url !== undefined) image["image_url"] = url;
        else if (part.source.kind === "file_id") image["file_id"] = part.source.fileId;
        else {
          warnings.push({ code: "content_dropped", path: p, message: "a text source cannot be an image; the part was dropped" });
          return;
        }
        out.push(image);
        return;
      }
      case "file": {
        const src = part.source;
        const file: JsonObject = { type: "input_file" };
        if (src.kind === "base64") {
          file["file_data"] = `data:${src.mediaType};base64,${src.data}`;
          file["filename"] = part.filename ?? part.title ?? (src.mediaType === "application/pdf" ? "document.pdf" : "file");
        } else if (src.kind === "url") file["file_url"] = src.url;
        else if (src.kind === "file_id") file["file_id"] = src.fileId;
        else {
          out.push({ type: "input_text", text: src.text });
          return;
        }
        if (src.kind !== "base64" && part.filename !== undefined) file["filename"] = part.filename;
        out.push(file);
        return;
      }
      case "audio":
        warnings.push({ code: "content_dropped", path: p, message: "Responses input has no audio content; the audio was dropped" });
        return;
      default: {
        const never: never = part;
        return never;
      }
    }
  });
  return out;
}

/** One assistant turn -> reasoning / message / function_call items, in the order of its parts. */
function encodeAssistant(parts: readonly AssistantPart[], path: string, opts: { store: boolean }, warnings: TranslationWarning[]): JsonObject[] {
  const items: JsonObject[] = [];
  let message: JsonObject[] | undefined;
  let messagePhase: string | undefined;
  parts.forEach((part, j) => {
    const p = `${path}.content[${j}]`;
    if (part.type !== "text" && part.type !== "refusal") message = undefined;
    switch (part.type) {
      case "text":
      case "refusal": {
        const phase = part.type === "text" ? part.phase : undefined;
        if (!message || phase !== messagePhase) {
          message = [];
          messagePhase = phase;
          const item: JsonObject = { type: "message", role: "assistant", content: message };
          if (phase !== undefined) item["phase"] = phase;
          items.push(item);
        }
        if (part.type === "refusal") message.push({ type: "refusal", refusal: part.text });
        else {
          const annotations = toResponsesAnnotations(part.annotations, 0, part.text.length);
          if (annotations.dropped > 0)
            warnings.push({ code: "content_dropped", path: `${p}.annotations`, message: "annotations with no Responses form were dropped" });
          message.push({ type: "output_text", text: part.text, annotations: annotations.value });
        }
        return;
      }
      case "reasoning": {
        const item = encodeReasoningInput(part, opts.store);
        if (item) items.push(item);
        else warnings.push({ code: "reasoning_dropped", path: p, message: "reasoning without Responses encrypted content cannot be replayed and was dropped" });
        return;
      }
      case "tool_call":
        items.push(encodeCallItem(part));
        return;
      case "audio_output":
        warnings.push({ code: "content_dropped", path: p, message: "Responses has no audio output history; the audio reference was dropped" });
        return;
      case "web_search_call":
        warnings.push({ code: "content_dropped", path: p, message: "a web search from another backend cannot be replayed to Responses; dropped" });
        return;
      default: {
        const never: never = part;
        return never;
      }
    }
  });
  return items;
}

/**
 * A reasoning part as a replayable input item. Only reasoning a Responses backend produced can be
 * replayed: with `encrypted_content` (store false) or by id reference (store true).
 */
function encodeReasoningInput(part: ReasoningPart, store: boolean): JsonObject | undefined {
  if (part.encryptedContent !== undefined) {
    const item: JsonObject = { type: "reasoning" };
    if (part.id !== undefined) item["id"] = part.id;
    const summary = part.summary ?? (part.kind !== "raw" && part.text !== "" ? [part.text] : []);
    item["summary"] = summary.map((text) => ({ type: "summary_text", text }));
    if (part.kind === "raw" && part.text !== "") item["content"] = [{ type: "reasoning_text", text: part.text }];
    item["encrypted_content"] = part.encryptedContent;
    return item;
  }
  if (store && part.id !== undefined && part.id.startsWith("rs_")) return { type: "item_reference", id: part.id };
  return undefined;
}

/** A tool call as the item its tool's kind has: function, custom or tool search call. */
function encodeCallItem(part: ToolCallPart): JsonObject {
  const client = part.client;
  let call: JsonObject;
  if (client?.type === "custom") call = { type: "custom_tool_call", call_id: part.id, name: part.name, input: customInputOf(part.arguments) };
  else if (client?.type === "tool_search")
    call = { type: "tool_search_call", call_id: part.id, execution: client.execution, status: "completed", arguments: toolSearchArgumentsOf(part.arguments) };
  else if (client?.type === "namespaced")
    call = { type: "function_call", call_id: part.id, name: client.name, namespace: client.namespace, arguments: part.arguments };
  else call = { type: "function_call", call_id: part.id, name: part.name, arguments: part.arguments };
  if (part.itemId !== undefined) call["id"] = part.itemId;
  return call;
}

/** A tool's output as the item matching its call; a tool search's output carries the tools it found. */
function encodeToolOutput(callId: string, output: string | JsonObject[], kind: ClientToolKind | undefined): JsonObject {
  if (kind?.type === "custom") return { type: "custom_tool_call_output", call_id: callId, output };
  if (kind?.type === "tool_search" && typeof output === "string") {
    let tools: unknown;
    try {
      tools = JSON.parse(output);
    } catch {
      tools = undefined;
    }
    if (Array.isArray(tools)) return { type: "tool_search_output", call_id: callId, execution: kind.execution, status: "completed", tools };
  }
  return { type: "function_call_output", call_id: callId, output };
}
