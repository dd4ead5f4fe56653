// Anthropic `stop_reason` → hub finish reason. The raw value is kept beside it by the callers.

import type { FinishReason } from "../ir.js";

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
