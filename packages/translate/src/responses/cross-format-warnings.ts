// Warnings for what a Responses client sent that only a Responses backend can honour: the other
// formats' encoders never read `passthrough.responses`, so the proxy adds these when the backend
// speaks another format.

import type { LlmRequest, TranslationWarning } from "../ir.js";

/** Fields the proxy itself serves on every backend (storing, chaining, echo, background runs). */
const SERVED_BY_PROXY = new Set(["store", "previous_response_id", "background", "include", "instructions", "conversation", "stream_options"]);

export function responsesOnlyFieldWarnings(req: LlmRequest): TranslationWarning[] {
  const warnings: TranslationWarning[] = [];
  for (const [key, value] of Object.entries(req.passthrough?.responses ?? {})) {
    if (SERVED_BY_PROXY.has(key) || (key === "truncation" && value === "disabled")) continue;
    warnings.push({ code: "field_dropped", path: key, message: `Responses-only field \`${key}\` has no equivalent on this backend and was dropped` });
  }
  const phased = req.messages.some((m) => m.role === "assistant" && m.content.some((p) => p.type === "text" && p.phase !== undefined));
  if (phased) {
    warnings.push({
      code: "field_dropped",
      path: "input",
      message: "assistant message `phase` has no equivalent on this backend; the text was sent without it (it is kept in the stored conversation)",
    });
  }
  return warnings;
}
