// A Response object from a native Responses backend -> hub response with one choice.

import { TranslateError } from "../codec.js";
import type { AssistantPart, Choice, LlmResponse, Translated, TranslationWarning } from "../ir.js";
import { getArray, getNumber, getRecord, getString, isRecord, type JsonObject } from "../shared/guards.js";
import { unpackReasoningOpaque } from "../shared/reasoning.js";
import { decodeResponsesUsage } from "./usage.js";
import { mapResponsesStatus } from "./finish-reason.js";

export function decodeResponsesResponse(body: unknown): Translated<LlmResponse> {
  const warnings: TranslationWarning[] = [];
  if (!isRecord(body)) throw new TranslateError("upstream response is not a JSON object", { status: 502 });
  const output = getArray(body, "output");
  if (!output) {
    const error = getRecord(body, "error");
    throw new TranslateError(error ? (getString(error, "message") ?? "upstream returned an error") : "upstream response has no output array", {
      status: 502,
    });
  }
  const content: AssistantPart[] = [];
  output.forEach((raw, i) => {
    if (!isRecord(raw)) return;
    const parts = decodeOutputItem(raw, `output[${i}]`, warnings);
    content.push(...parts);
  });
  const status = getString(body, "status");
  const incomplete = getRecord(body, "incomplete_details");
  const { reason, raw } = mapResponsesStatus(
    status,
    incomplete ? getString(incomplete, "reason") : undefined,
    content.some((p) => p.type === "tool_call"),
  );
  const choice: Choice = { index: 0, content, finishReason: reason };
  if (raw !== undefined) choice.rawFinishReason = raw;
  const res: LlmResponse = {
    id: getString(body, "id") ?? "",
    model: getString(body, "model") ?? "",
    created: getNumber(body, "created_at") ?? 0,
    choices: [choice],
  };
  const usage = decodeResponsesUsage(body["usage"]);
  if (usage) res.usage = usage;
  const tier = getString(body, "service_tier");
  if (tier !== undefined) res.serviceTier = tier;
  return { value: res, warnings };
}

/** One output item -> hub parts (also used for `output_item.done` in streams). */
function decodeOutputItem(item: JsonObject, path: string, warnings: TranslationWarning[]): AssistantPart[] {
  switch (item["type"]) {
    case "reasoning":
      return [decodeReasoningOutput(item)];
    case "message": {
      const parts: AssistantPart[] = [];
      (getArray(item, "content") ?? []).forEach((raw, j) => {
        if (!isRecord(raw)) return;
        if (raw["type"] === "output_text" && typeof raw["text"] === "string") {
          const annotations = getArray(raw, "annotations");
          parts.push(annotations && annotations.length > 0 ? { type: "text", text: raw["text"], annotations } : { type: "text", text: raw["text"] });
        } else if (raw["type"] === "refusal" && typeof raw["refusal"] === "string") {
          parts.push({ type: "refusal", text: raw["refusal"] });
        } else {
          warnings.push({ code: "invalid_part_dropped", path: `${path}.content[${j}]`, message: "unsupported message content was dropped" });
        }
      });
      return parts;
    }
    case "function_call": {
      const callId = getString(item, "call_id");
      const name = getString(item, "name");
      if (callId === undefined || name === undefined) {
        warnings.push({ code: "invalid_part_dropped", path, message: "function_call without call_id or name was dropped" });
        return [];
      }
      const part: AssistantPart = { type: "tool_call", id: callId, name, arguments: getString(item, "arguments") ?? "" };
      const itemId = getString(item, "id");
      if (itemId !== undefined) part.itemId = itemId;
      return [part];
    }
    default:
      warnings.push({ code: "content_dropped", path, message: `output item of type '${String(item["type"])}' has no hub equivalent and was dropped` });
      return [];
  }
}

function decodeReasoningOutput(item: JsonObject): AssistantPart {
  const texts = (key: string): string[] => (getArray(item, key) ?? []).flatMap((p) => (isRecord(p) && typeof p["text"] === "string" ? [p["text"]] : []));
  const summary = texts("summary");
  const content = texts("content");
  const part: AssistantPart =
    content.length > 0 ? { type: "reasoning", text: content.join(""), kind: "raw" } : { type: "reasoning", text: summary.join("\n\n"), kind: "summary" };
  // A summary that only repeats the content is the proxy's own copy of raw reasoning (rawReasoning: both).
  if (summary.length > 0 && summary.join("") !== content.join("")) part.summary = summary;
  const id = getString(item, "id");
  if (id !== undefined) part.id = id;
  const encrypted = getString(item, "encrypted_content");
  if (encrypted !== undefined) Object.assign(part, unpackReasoningOpaque(encrypted));
  return part;
}
