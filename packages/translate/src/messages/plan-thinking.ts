// Hub reasoning → Anthropic `thinking`, `output_config.effort` and the `max_tokens` that fits them (docs/protocol.md §4.4).

import type { LlmRequest, ReasoningConfig, ReasoningEffort, TranslationWarning } from "../ir.js";
import { isRecord, type JsonObject } from "../shared/guards.js";
import { decodeMessagesThinking } from "./decode-thinking.js";
import { MIN_THINKING_BUDGET, thinkingBudgetForEffort } from "./thinking-budget.js";

function sameReasoning(a: ReasoningConfig | undefined, b: ReasoningConfig): boolean {
  return a !== undefined && a.effort === b.effort && a.budgetTokens === b.budgetTokens && a.disabled === b.disabled && a.summary === b.summary;
}

function decodedOrUndefined(thinking: unknown, outputConfig: unknown): ReasoningConfig | undefined {
  try {
    return decodeMessagesThinking(thinking, outputConfig);
  } catch {
    return undefined;
  }
}

function messagesEffort(effort: ReasoningEffort): string | undefined {
  return effort === "none" ? undefined : effort === "minimal" ? "low" : effort;
}

export interface MessagesThinkingPlan {
  thinking?: JsonObject;
  effort?: string;
  maxTokens: number;
}

/**
 * The client's own Anthropic `thinking` is replayed when the hub still says the same thing (an Anthropic
 * client, no override); `adaptive` stays adaptive with the hub's effort; otherwise an effort or budget
 * becomes `enabled` with a budget that Anthropic accepts (>= 1024, < max_tokens).
 */
export function planMessagesThinking(req: LlmRequest, maxTokens: number, warnings: TranslationWarning[]): MessagesThinkingPlan {
  const reasoning = req.reasoning;
  if (reasoning === undefined) return { maxTokens };
  const passthrough = req.passthrough?.messages;
  const original = isRecord(passthrough?.thinking) ? passthrough.thinking : undefined;
  const originalConfig = isRecord(passthrough?.output_config) ? passthrough.output_config : undefined;
  if (reasoning.disabled === true || reasoning.effort === "none") {
    // An Anthropic client's effort survives with thinking off; an OpenAI client's `none` has no effort to send.
    const keptEffort = original?.type === "disabled" && typeof originalConfig?.effort === "string" ? originalConfig.effort : undefined;
    const plan: MessagesThinkingPlan = { thinking: { type: "disabled" }, maxTokens };
    if (keptEffort !== undefined) plan.effort = keptEffort;
    return plan;
  }
  if (original?.type === "adaptive") {
    const effort = reasoning.effort === undefined ? undefined : messagesEffort(reasoning.effort);
    return effort === undefined ? { thinking: original, maxTokens } : { thinking: original, effort, maxTokens };
  }

  let thinking: JsonObject | undefined;
  let budget: number | undefined;
  let effort: string | undefined;
  if (passthrough !== undefined && sameReasoning(decodedOrUndefined(original, originalConfig), reasoning)) {
    thinking = original;
    budget = typeof original?.budget_tokens === "number" ? original.budget_tokens : undefined;
    effort = typeof originalConfig?.effort === "string" ? originalConfig.effort : undefined;
  } else {
    budget = reasoning.budgetTokens ?? (reasoning.effort === undefined ? undefined : thinkingBudgetForEffort(reasoning.effort));
    if (budget === undefined) return { maxTokens }; // no effort and no budget: the backend's default
    budget = Math.max(budget, MIN_THINKING_BUDGET);
    thinking = { ...original, type: "enabled", budget_tokens: budget };
  }

  const plan: MessagesThinkingPlan = { maxTokens };
  if (thinking !== undefined) plan.thinking = thinking;
  if (effort !== undefined) plan.effort = effort;
  if (thinking !== undefined && budget !== undefined && budget >= maxTokens) {
    plan.maxTokens = maxTokens + budget;
    if (req.maxOutputTokens !== undefined) {
      warnings.push({
        code: "value_adjusted",
        path: "max_tokens",
        message: `raised from ${maxTokens} to ${plan.maxTokens} to fit the thinking budget of ${budget}`,
      });
    }
  }
  return plan;
}
