// A `chat.completion` body from an upstream -> hub response. Upstream data is read leniently
// (missing optional fields are fine); a body that is not a completion at all is a 502.

import { TranslateError } from "../codec.js";
import type { AssistantPart, Choice, LlmResponse, Translated, TranslationWarning } from "../ir.js";
import { getArray, getNumber, getRecord, getString, isRecord, type JsonObject } from "../shared/guards.js";
import { decodeChatUsage } from "./usage.js";
import { mapChatFinishReason } from "./finish-reason.js";
import { reasoningDetailsText } from "../modules/reasoning-details.js";

export function decodeChatResponse(body: unknown): Translated<LlmResponse> {
  const warnings: TranslationWarning[] = [];
  if (!isRecord(body)) throw new TranslateError("upstream chat completion is not a JSON object", { status: 502 });
  const upstreamError = getRecord(body, "error");
  if (upstreamError) {
    throw new TranslateError(getString(upstreamError, "message") ?? "upstream returned an error", {
      status: 502,
      code: getString(upstreamError, "code") ?? "upstream_error",
    });
  }
  const rawChoices = getArray(body, "choices");
  if (!rawChoices) throw new TranslateError("upstream chat completion has no choices array", { status: 502 });

  const choices: Choice[] = [];
  rawChoices.forEach((raw, i) => {
    if (!isRecord(raw)) {
      warnings.push({ code: "invalid_part_dropped", path: `choices[${i}]`, message: "choice is not an object and was skipped" });
      return;
    }
    const message = getRecord(raw, "message") ?? {};
    const rawFinish = getString(raw, "finish_reason");
    const content = decodeChatAssistantMessage(message, `choices[${i}].message`, warnings);
    let finishReason = mapChatFinishReason(rawFinish);
    // Some compatible servers say `stop` after tool calls; the hub reason follows the content.
    if (finishReason === "stop" && content.some((p) => p.type === "tool_call")) finishReason = "tool_calls";
    const choice: Choice = { index: getNumber(raw, "index") ?? i, content, finishReason };
    if (rawFinish !== undefined) choice.rawFinishReason = rawFinish;
    choices.push(choice);
  });

  const res: LlmResponse = {
    id: getString(body, "id") ?? "",
    model: getString(body, "model") ?? "",
    created: getNumber(body, "created") ?? 0,
    choices,
  };
  const usage = decodeChatUsage(body["usage"]);
  if (usage) res.usage = usage;
  const tier = getString(body, "service_tier");
  if (tier !== undefined) res.serviceTier = tier;
  const fingerprint = getString(body, "system_fingerprint");
  if (fingerprint !== undefined) res.systemFingerprint = fingerprint;
  return { value: res, warnings };
}

/** A response message's fields as hub parts: reasoning, text, refusal, audio, tool calls. */
function decodeChatAssistantMessage(message: JsonObject, path: string, warnings: TranslationWarning[]): AssistantPart[] {
  const parts: AssistantPart[] = [];
  const reasoning = getString(message, "reasoning_content") || getString(message, "reasoning") || reasoningDetailsText(message.reasoning_details);
  if (reasoning) parts.push({ type: "reasoning", text: reasoning, kind: "raw" });

  const annotations = getArray(message, "annotations");
  const content = message["content"];
  if (typeof content === "string" && content !== "") {
    parts.push(annotations && annotations.length > 0 ? { type: "text", text: content, annotations } : { type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((p, j) => {
      if (isRecord(p) && p["type"] === "text" && typeof p["text"] === "string") {
        const partAnnotations = getArray(p, "annotations");
        parts.push(partAnnotations ? { type: "text", text: p["text"], annotations: partAnnotations } : { type: "text", text: p["text"] });
      } else if (isRecord(p) && p["type"] === "refusal" && typeof p["refusal"] === "string") {
        parts.push({ type: "refusal", text: p["refusal"] });
      } else {
        warnings.push({ code: "invalid_part_dropped", path: `${path}.content[${j}]`, message: "unsupported content part was dropped" });
      }
    });
  }
  const refusal = getString(message, "refusal");
  if (refusal) parts.push({ type: "refusal", text: refusal });

  const audio = getRecord(message, "audio");
  if (audio) {
    const part: AssistantPart = { type: "audio_output" };
    const id = getString(audio, "id");
    const data = getString(audio, "data");
    const transcript = getString(audio, "transcript");
    const expiresAt = getNumber(audio, "expires_at");
    if (id !== undefined) part.id = id;
    if (data !== undefined) part.data = data;
    if (transcript !== undefined) part.transcript = transcript;
    if (expiresAt !== undefined) part.expiresAt = expiresAt;
    parts.push(part);
  }

  (getArray(message, "tool_calls") ?? []).forEach((raw, k) => {
    const fn = isRecord(raw) ? getRecord(raw, "function") : undefined;
    const id = isRecord(raw) ? getString(raw, "id") : undefined;
    const name = fn ? getString(fn, "name") : undefined;
    if (!fn || id === undefined || name === undefined) {
      warnings.push({ code: "invalid_part_dropped", path: `${path}.tool_calls[${k}]`, message: "tool call without id or function name was dropped" });
      return;
    }
    parts.push({ type: "tool_call", id, name, arguments: getString(fn, "arguments") ?? "" });
  });
  return parts;
}
