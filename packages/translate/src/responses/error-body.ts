// Responses errors: the JSON error body (OpenAI's), the `error` + `response.failed` pair a broken
// stream ends with, and how a 200 body says it failed (`status: "failed"`).

import type { ErrorInfo, RelayedStream } from "../codec.js";
import type { TranslateContext } from "../ir.js";
import { errorMessageOf } from "../shared/json-bytes.js";
import { type OpenAIErrorBody, openAIErrorBody } from "../shared/openai-error.js";

export function responsesErrorBody(err: ErrorInfo): OpenAIErrorBody {
  return openAIErrorBody(err);
}

const SEQUENCE = /"sequence_number": ?(\d+)/g;

/**
 * Where the error goes in a relayed stream: after its last sequence number, failing the Response its
 * first event (`response.created`) announced, or a Response of its own when that is not JSON.
 */
function failureContext(relayed: RelayedStream, ctx: TranslateContext): { sequenceNumber: number; response: Record<string, unknown> } {
  let last: number | undefined;
  for (const m of relayed.tail.matchAll(SEQUENCE)) last = Number(m[1]);
  let response: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = relayed.firstData === undefined ? undefined : JSON.parse(relayed.firstData);
    const r = typeof parsed === "object" && parsed !== null ? (parsed as { response?: unknown }).response : undefined;
    if (typeof r === "object" && r !== null) response = r as Record<string, unknown>;
  } catch {
    // A first event that is not JSON: the failed Response gets an id of its own.
  }
  return {
    sequenceNumber: last === undefined ? 0 : last + 1,
    response: response ?? { id: ctx.newId("resp_"), object: "response", created_at: ctx.now(), output: [] },
  };
}

/** Responses streams end in exactly one terminal event: an error is followed by `response.failed`. */
export function responsesStreamErrorFrame(args: { message: string; code?: string | undefined; relayed: RelayedStream; ctx: TranslateContext }): string {
  const { message } = args;
  const at = failureContext(args.relayed, args.ctx);
  const error = { code: args.code ?? "server_error", message };
  const failed = { ...at.response, status: "failed", error, incomplete_details: null };
  return (
    `event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: at.sequenceNumber, code: error.code, message, param: null })}\n\n` +
    `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", sequence_number: at.sequenceNumber + 1, response: failed })}\n\n`
  );
}

export function responsesReportedFailure(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  return b.status === "failed" ? errorMessageOf(b.error, "the response failed") : undefined;
}
