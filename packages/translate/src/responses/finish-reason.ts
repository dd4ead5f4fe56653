// Response `status` / `incomplete_details` <-> hub finish reasons (docs/protocol.md §4.1).

import type { FinishReason } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";

/** Upstream Response -> hub. `raw` is the incomplete reason when there is one, else the status. */
export function mapResponsesStatus(
  status: string | undefined,
  incompleteReason: string | undefined,
  hasFunctionCall: boolean,
): { reason: FinishReason; raw: string | undefined } {
  switch (status) {
    case "completed":
      return { reason: hasFunctionCall ? "tool_calls" : "stop", raw: status };
    case "incomplete":
      return {
        reason: incompleteReason === "max_output_tokens" ? "length" : incompleteReason === "content_filter" ? "content_filter" : "other",
        raw: incompleteReason ?? status,
      };
    case "failed":
    case "cancelled":
      return { reason: "error", raw: status };
    default:
      return { reason: hasFunctionCall ? "tool_calls" : "other", raw: status };
  }
}

type ResponsesTerminalStatus = "completed" | "incomplete" | "failed";

export interface ResponsesOutcome {
  status: ResponsesTerminalStatus;
  incompleteDetails: JsonObject | null;
  error: JsonObject | null;
}

/**
 * Hub finish reasons of every choice -> one Response status. An error wins, then a cut answer
 * (`length` -> max_output_tokens, `content_filter`/`refusal` -> content_filter); the rest is completed.
 */
export function toResponsesOutcome(reasons: readonly FinishReason[]): ResponsesOutcome {
  if (reasons.includes("error")) {
    return { status: "failed", incompleteDetails: null, error: { code: "server_error", message: "The model failed to complete the response." } };
  }
  if (reasons.includes("length")) {
    return { status: "incomplete", incompleteDetails: { reason: "max_output_tokens" }, error: null };
  }
  if (reasons.includes("content_filter") || reasons.includes("refusal")) {
    return { status: "incomplete", incompleteDetails: { reason: "content_filter" }, error: null };
  }
  return { status: "completed", incompleteDetails: null, error: null };
}

/** A message item ends `incomplete` when its choice was cut short (length, content filter, refusal). */
export function messageStatusFor(reason: FinishReason | undefined): "completed" | "incomplete" {
  return reason === "length" || reason === "content_filter" || reason === "refusal" ? "incomplete" : "completed";
}
