// Anthropic `stop_reason` ↔ hub finish reason, both ways. Decoding keeps the raw value beside it;
// encoding prefers the upstream's own Anthropic value (+ `stop_sequence`) when it means the same.

import type { FinishReason } from "../ir.js";
import { isMessagesStopReason, type MessagesStopReason } from "./messages-api.js";

/**
 * `pause_turn` (a long server-tool turn the client must resume) and unknown values map to `other`:
 * calling them `stop` would tell an OpenAI client the answer is complete when it is not.
 */
export function mapMessagesStopReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "refusal";
    default:
      return "other";
  }
}

export interface MessagesStop {
  stopReason: MessagesStopReason;
  stopSequence: string | null;
}

export function mapFinishReasonToMessages(args: {
  reason: FinishReason;
  /** The upstream's raw value; reused when it is an Anthropic stop reason that means the same thing. */
  raw?: string | undefined;
  stopSequence?: string | undefined;
  /** Tool calls were emitted: an OpenAI `stop` then still means `tool_use` to an Anthropic client. */
  hasToolCalls?: boolean;
}): MessagesStop {
  const stopSequence = args.stopSequence ?? null;
  if (isMessagesStopReason(args.raw) && mapMessagesStopReason(args.raw) === args.reason) {
    if (args.raw === "stop_sequence" && stopSequence === null) return { stopReason: "end_turn", stopSequence };
    if (args.raw !== "end_turn" || stopSequence === null) return { stopReason: args.raw, stopSequence };
  }
  const reason = args.reason;
  switch (reason) {
    case "stop":
      if (stopSequence !== null) return { stopReason: "stop_sequence", stopSequence };
      return { stopReason: args.hasToolCalls === true ? "tool_use" : "end_turn", stopSequence };
    case "length":
      return { stopReason: "max_tokens", stopSequence };
    case "tool_calls":
      return { stopReason: "tool_use", stopSequence };
    case "content_filter":
    case "refusal":
      return { stopReason: "refusal", stopSequence };
    case "error":
    case "other":
      return { stopReason: args.hasToolCalls === true ? "tool_use" : "end_turn", stopSequence };
    default: {
      const exhaustive: never = reason;
      return exhaustive;
    }
  }
}
