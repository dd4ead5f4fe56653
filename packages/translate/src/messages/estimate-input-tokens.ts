// A cheap prompt-size estimate for `message_start`, which Anthropic clients read before any upstream
// usage exists (Chat upstreams report it only at the end); the exact count follows in `message_delta`.

import type { LlmRequest } from "../ir.js";

const ownLength = (s: string): number => s.length;

/**
 * Characters / 4 over the text, tool-call arguments, reasoning and tool definitions. `lengthOf`
 * measures each string (a request whose long strings are stood in for knows their real lengths).
 */
export function estimateInputTokens(request: LlmRequest, lengthOf: (s: string) => number = ownLength): number {
  let chars = 0;
  for (const m of request.messages) {
    for (const part of m.content) {
      if (part.type === "text") chars += lengthOf(part.text);
      else if (part.type === "tool_call") chars += lengthOf(part.arguments);
      else if (part.type === "reasoning") chars += lengthOf(part.text);
    }
  }
  for (const t of request.tools ?? []) chars += t.name.length + lengthOf(t.description ?? "") + lengthOf(JSON.stringify(t.parameters));
  return Math.ceil(chars / 4);
}
