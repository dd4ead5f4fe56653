// Anthropic error JSON (`{"type":"error","error":{type,message}}`) for HTTP error answers and `event: error`
// stream frames, with the status → type table of docs/protocol.md §3.5; and how a 200 body says it failed.

import type { StreamError } from "../ir.js";
import { errorMessageOf, firstKeyAt, holdsAscii, skipJsonSpace } from "../shared/json-bytes.js";
import { formatMessagesSse, isMessagesErrorType, type MessagesErrorType } from "./messages-api.js";

export function messagesErrorType(status: number): MessagesErrorType {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
  }
}

export interface MessagesErrorBody {
  type: "error";
  error: { type: string; message: string };
}

export function messagesErrorBody(status: number, message: string, type?: string): MessagesErrorBody {
  return { type: "error", error: { type: type ?? messagesErrorType(status), message } };
}

/** OpenAI error types that have an obvious Anthropic counterpart. */
const OPENAI_ERROR_TYPES: Record<string, MessagesErrorType> = {
  server_error: "api_error",
  rate_limit_exceeded: "rate_limit_error",
  insufficient_quota: "rate_limit_error",
};

/** A hub stream error as the Anthropic type a client expects: its own type if Anthropic's, else from status. */
export function messagesStreamErrorType(error: StreamError): MessagesErrorType {
  if (isMessagesErrorType(error.type)) return error.type;
  if (error.status !== undefined) return messagesErrorType(error.status);
  return OPENAI_ERROR_TYPES[error.type] ?? "api_error";
}

/** The `event: error` frame; nothing may follow it. */
export function encodeMessagesErrorEvent(error: StreamError): string {
  return formatMessagesSse("error", { ...messagesErrorBody(500, error.message, messagesStreamErrorType(error)) });
}

/** `code` set means the proxy ended the stream (`shutting_down`): Anthropic clients retry an overload. */
export function messagesStreamErrorFrame(message: string, code: string | undefined): string {
  return formatMessagesSse("error", { type: "error", error: { type: code ? "overloaded_error" : "api_error", message } });
}

/** `{"type":"error","error":…}`. */
export function messagesReportedFailure(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  return b.type === "error" ? errorMessageOf(b.error, "the upstream reported an error") : undefined;
}

export function opensLikeMessagesError(body: Uint8Array): boolean {
  const at = firstKeyAt(body);
  if (at < 0 || !holdsAscii(body, at, '"type"')) return false;
  const colon = skipJsonSpace(body, at + 6);
  return body[colon] === 0x3a && holdsAscii(body, skipJsonSpace(body, colon + 1), '"error"');
}
