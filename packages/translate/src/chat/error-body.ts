// Chat Completions errors: the JSON error body, the `data: {"error":…}` frame a broken stream ends
// with, and how a 200 body says it failed.

import type { ErrorInfo } from "../codec.js";
import { errorMessageOf, firstKeyAt, holdsAscii } from "../shared/json-bytes.js";
import { openAIErrorBody } from "../shared/openai-error.js";
import type { ChatErrorBody } from "./chat-api.js";

export function chatErrorBody(err: ErrorInfo): ChatErrorBody {
  return openAIErrorBody(err);
}

/** A chat stream has no error event: an error chunk is the last thing it sends. */
export function chatStreamErrorFrame(message: string, code: string | undefined): string {
  return `data: ${JSON.stringify({ error: { message, type: "server_error", param: null, code: code ?? "upstream_stream_error" } })}\n\n`;
}

/** `{"error":…}` with no `choices` beside it. */
export function chatReportedFailure(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  return b.error !== undefined && b.error !== null && !Array.isArray(b.choices) ? errorMessageOf(b.error, "the upstream reported an error") : undefined;
}

export function opensLikeChatError(body: Uint8Array): boolean {
  const at = firstKeyAt(body);
  return at >= 0 && holdsAscii(body, at, '"error"');
}
