// Per-model request edits from the config: the upstream model name, `parameters` defaults and forced
// values (dotted names set nested fields), and yaLLMproxy's `thinking` block.

import { isUtf8 } from "node:buffer";
import type { ModelRoute, ParameterOverride } from "../config/load-config.js";
import type { BodyBytes } from "../upstream/body-bytes.js";
import { spliceTopLevelString } from "./json-splice.js";

export function applyParameters(body: Record<string, unknown>, overrides: ParameterOverride[]): void {
  for (const o of overrides) {
    let target: Record<string, unknown> = body;
    for (let i = 0; i < o.path.length - 1; i++) {
      const key = o.path[i] as string;
      const next = target[key];
      if (typeof next === "object" && next !== null && !Array.isArray(next)) {
        // Copy on write: the client's object may be shared with another attempt.
        target[key] = { ...(next as Record<string, unknown>) };
      } else {
        target[key] = {};
      }
      target = target[key] as Record<string, unknown>;
    }
    const leaf = o.path[o.path.length - 1] as string;
    if (!o.allowOverride || target[leaf] === undefined) target[leaf] = structuredClone(o.value);
  }
}

/** The body for a same-format upstream: the client's fields, with the route's edits applied. */
export function passthroughBody(body: Record<string, unknown>, route: ModelRoute, takesThinking: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model: route.upstreamModel };
  // The thinking switch first: a parameter such as `thinking.clear_thinking` adds to it.
  if (takesThinking && route.thinking && out.thinking === undefined && !hasStructuredOutput(out)) out.thinking = route.thinking;
  applyParameters(out, route.parameters);
  return out;
}

/**
 * The client's own bytes for a same-format upstream when the route changes nothing but the model
 * name (the name spliced in): an agent's history is relayed without being serialized again.
 * Undefined when parameters or `thinking` apply, or the bytes cannot be edited safely.
 */
export function passthroughRaw(raw: Buffer, body: Record<string, unknown>, route: ModelRoute, takesThinking: boolean): BodyBytes | undefined {
  if (route.parameters.length > 0) return undefined;
  if (takesThinking && route.thinking && body.thinking === undefined && !hasStructuredOutput(body)) return undefined;
  // Invalid UTF-8 was replaced when the text was decoded for JSON.parse; the parsed body says what was meant.
  if (!isUtf8(raw)) return undefined;
  if (body.model === route.upstreamModel) return raw;
  return spliceTopLevelString(raw, "model", route.upstreamModel, body.model);
}

function hasStructuredOutput(body: Record<string, unknown>): boolean {
  const rf = body.response_format;
  if (typeof rf !== "object" || rf === null) return false;
  const type = "type" in rf ? rf.type : undefined;
  return type === "json_schema" || type === "json_object";
}
