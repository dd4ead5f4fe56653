// Anthropic Messages wire vocabulary shared by the codec files: stop reasons, error types, media types,
// server-tool and citation shapes, and the SSE framing the Anthropic SDKs dispatch on.

import { isRecord } from "../shared/guards.js";

// `compaction` (beta): the answer stopped after compacting the context, for the client to go on.
const MESSAGES_STOP_REASONS = [
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "compaction",
  "refusal",
  "model_context_window_exceeded",
] as const;
export type MessagesStopReason = (typeof MESSAGES_STOP_REASONS)[number];

export function isMessagesStopReason(value: unknown): value is MessagesStopReason {
  return typeof value === "string" && (MESSAGES_STOP_REASONS as readonly string[]).includes(value);
}

const MESSAGES_ERROR_TYPES = [
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "timeout_error",
  "overloaded_error",
] as const;
export type MessagesErrorType = (typeof MESSAGES_ERROR_TYPES)[number];

export function isMessagesErrorType(value: unknown): value is MessagesErrorType {
  return typeof value === "string" && (MESSAGES_ERROR_TYPES as readonly string[]).includes(value);
}

/** The only image media types Anthropic accepts. */
const MESSAGES_IMAGE_MEDIA_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const;

export function normalizeImageMediaType(mediaType: string): string | undefined {
  const lower = mediaType.toLowerCase();
  const normalized = lower === "image/jpg" ? "image/jpeg" : lower;
  return (MESSAGES_IMAGE_MEDIA_TYPES as readonly string[]).includes(normalized) ? normalized : undefined;
}

/**
 * Anthropic-hosted tools (`web_search_20250305`, `bash_20250124`, …) carry a versioned `type`; client tools
 * have no type or `custom`. Only an Anthropic backend can run the hosted ones.
 */
export function isMessagesServerTool(tool: Record<string, unknown>): boolean {
  return typeof tool.type === "string" && tool.type !== "custom";
}

const CITATION_TYPES = new Set(["char_location", "page_location", "content_block_location", "web_search_result_location", "search_result_location"]);

/** Whether an annotation is an Anthropic citation (OpenAI `url_citation`s are not, and Anthropic rejects them). */
export function isMessagesCitation(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && typeof value.type === "string" && CITATION_TYPES.has(value.type);
}

/** Content block types Anthropic defines that the hub cannot carry; they are dropped with a warning. */
export const UNSUPPORTED_MESSAGES_BLOCK_TYPES = new Set([
  "search_result",
  "server_tool_use",
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "bash_code_execution_tool_result",
  "text_editor_code_execution_tool_result",
  "tool_search_tool_result",
  "mcp_tool_use",
  "mcp_tool_result",
  "container_upload",
  "tool_search_tool_search_result",
  "web_fetch_result",
  "web_search_result",
]);

/** Anthropic tool ids must match `^[a-zA-Z0-9_-]+$`; foreign ids are made to fit, the same way every time. */
export function toMessagesToolId(id: string): string {
  const cleaned = id.replace(/[^a-zA-Z0-9_-]/g, "_");
  return cleaned === "" ? "toolu_empty" : cleaned;
}

/** One SSE frame with the `event:` line the Anthropic SDKs dispatch on. */
export function formatMessagesSse(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}
