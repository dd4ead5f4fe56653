// Chat `finish_reason` <-> hub FinishReason. Unknown upstream values become `other`, the raw value
// is kept beside it by the callers.

import type { FinishReason } from "../ir.js";

export type ChatFinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export function mapChatFinishReason(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    case "error":
      return "error";
    default:
      return "other";
  }
}

/** Hub -> Chat. Chat has no `refusal`/`error`: a refusal reads as `content_filter`, the rest as `stop`. */
export function toChatFinishReason(reason: FinishReason): Exclude<ChatFinishReason, "function_call"> {
  switch (reason) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
      return "tool_calls";
    case "content_filter":
    case "refusal":
      return "content_filter";
    case "error":
    case "other":
      return "stop";
    default: {
      const never: never = reason;
      return never;
    }
  }
}
