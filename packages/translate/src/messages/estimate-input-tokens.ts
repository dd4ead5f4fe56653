// A cheap prompt-size estimate for `message_start`, which Anthropic clients read before any upstream
// usage exists (Chat upstreams report it only at the end); the exact count follows in `message_delta`.

import type { LlmRequest } from "../ir.js";

/** Characters / 4 over the text, tool-call arguments, reasoning and tool definitions. */
export function estimateInputTokens(request: LlmRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    for (const part of m.content) {
      if (part.type === "text") chars += part.text.length;
      else if (part.type === "tool_call") chars += part.arguments.length;
      else if (part.type === "reasoning") chars += part.text.length;
    }
  }
  for (const t of request.tools ?? []) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  return Math.ceil(chars / 4);
}
