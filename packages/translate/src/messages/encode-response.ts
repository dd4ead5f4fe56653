// Hub response → the Anthropic `message` object an Anthropic client (Claude Code) expects. Choice 0 only.

import type { AssistantPart, LlmResponse, TranslateContext, Translated, TranslationWarning } from "../ir.js";
import { parseToolArguments, type JsonObject } from "../shared/guards.js";
import { isMessagesCitation } from "./messages-api.js";
import { encodeMessagesUsage } from "./usage.js";
import { mapFinishReasonToMessages } from "./finish-reason.js";
import { packReasoningSignature } from "./reasoning-signature.js";

/** Anthropic puts thinking first and tool use last; a stable sort keeps the order inside each group. */
function blockRank(part: AssistantPart): number {
  switch (part.type) {
    case "reasoning":
      return 0;
    case "text":
    case "refusal":
    case "audio_output":
    case "web_search_call":
      return 1;
    case "tool_call":
      return 2;
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

/**
 * Reasoning without an Anthropic signature (from an OpenAI upstream) becomes a `thinking` block whose
 * signature is "" (or a packed Responses reasoning item): clients display it, and when it is replayed an
 * Anthropic backend encoder drops it instead of failing on a forged signature.
 */
function encodeMessagesContentBlock(part: AssistantPart, path: string, warnings: TranslationWarning[]): JsonObject | undefined {
  switch (part.type) {
    case "reasoning":
      if (part.redactedData !== undefined) return { type: "redacted_thinking", data: part.redactedData };
      return { type: "thinking", thinking: part.text, signature: packReasoningSignature(part) };
    case "text": {
      const block: JsonObject = { type: "text", text: part.text };
      const citations = (part.annotations ?? []).filter(isMessagesCitation);
      if (citations.length > 0) block.citations = citations;
      return block;
    }
    case "refusal":
      return { type: "text", text: part.text };
    case "tool_call": {
      const { input, ok } = parseToolArguments(part.arguments);
      if (!ok) warnings.push({ code: "value_adjusted", path, message: `tool call \`${part.name}\` arguments are not a JSON object; sent as {}` });
      return { type: "tool_use", id: part.id, name: part.name, input };
    }
    case "audio_output":
      if (part.transcript !== undefined && part.transcript !== "") return { type: "text", text: part.transcript };
      warnings.push({ code: "content_dropped", path, message: "audio output has no Anthropic equivalent; dropped" });
      return undefined;
    case "web_search_call":
      warnings.push({ code: "content_dropped", path, message: "a web search without Anthropic's encrypted results has no Anthropic block; dropped" });
      return undefined;
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

export function encodeMessagesResponse(res: LlmResponse, ctx: TranslateContext): Translated<Record<string, unknown>> {
  const warnings: TranslationWarning[] = [];
  if (res.choices.length > 1) {
    warnings.push({ code: "choice_dropped", path: "choices", message: `Anthropic has one answer; ${res.choices.length - 1} extra choice(s) dropped` });
  }
  const choice = res.choices.find((c) => c.index === 0) ?? res.choices[0];
  const parts = (choice?.content ?? []).map((part, i) => ({ part, i })).sort((a, b) => blockRank(a.part) - blockRank(b.part) || a.i - b.i);
  const content: JsonObject[] = [];
  for (const { part, i } of parts) {
    const block = encodeMessagesContentBlock(part, `choices[0].content[${i}]`, warnings);
    if (block !== undefined) content.push(block);
  }

  const stop = mapFinishReasonToMessages({
    reason: choice?.finishReason ?? "stop",
    raw: choice?.rawFinishReason,
    stopSequence: choice?.stopSequence,
    hasToolCalls: content.some((block) => block.type === "tool_use"),
  });
  const usage: JsonObject = { ...encodeMessagesUsage(res.usage) };
  const tier = res.usage?.raw?.service_tier;
  if (typeof tier === "string") usage.service_tier = tier;

  return {
    value: {
      id: res.id.startsWith("msg_") ? res.id : ctx.newId("msg_"),
      type: "message",
      role: "assistant",
      model: res.model,
      content,
      stop_reason: stop.stopReason,
      stop_sequence: stop.stopSequence,
      usage,
    },
    warnings,
  };
}
