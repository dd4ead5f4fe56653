// Warnings for what an Anthropic client asked for that only an Anthropic backend can honour. The other
// formats' encoders never look at `passthrough.messages`, so the proxy calls this when the backend is not
// Anthropic and adds the result to the translation's warnings.

import type { LlmRequest, TranslationWarning } from "../ir.js";
import { isRecord } from "../shared/guards.js";

export function messagesOnlyFieldWarnings(req: LlmRequest): TranslationWarning[] {
  const warnings: TranslationWarning[] = [];
  if (req.topK !== undefined) warnings.push({ code: "field_dropped", path: "top_k", message: "`top_k` has no equivalent on this backend and was dropped" });
  const passthrough = req.passthrough?.messages ?? {};
  for (const [key, value] of Object.entries(passthrough)) {
    switch (key) {
      case "thinking":
        // Mirrored in `reasoning`; only `display` is lost, which other backends have no notion of.
        break;
      case "tools":
        if (Array.isArray(value)) {
          for (const tool of value) {
            const type = isRecord(tool) && typeof tool.type === "string" ? tool.type : "unknown";
            const name = isRecord(tool) && typeof tool.name === "string" ? tool.name : type;
            warnings.push({
              code: "tool_dropped",
              path: "tools",
              message: `Anthropic server tool \`${name}\` (${type}) cannot run on this backend and was dropped`,
            });
          }
        }
        break;
      case "output_config":
      case "metadata":
        if (isRecord(value)) {
          for (const inner of Object.keys(value)) {
            if (key === "output_config" && inner === "effort") continue; // mirrored in `reasoning.effort`
            warnings.push({ code: "field_dropped", path: `${key}.${inner}`, message: `Anthropic-only field \`${key}.${inner}\` was dropped` });
          }
        }
        break;
      default:
        warnings.push({ code: "field_dropped", path: key, message: `Anthropic-only field \`${key}\` was dropped` });
    }
  }
  return warnings;
}
