// Anthropic thinking budgets ↔ reasoning effort levels (docs/protocol.md §4.4, LiteLLM's thresholds).

import type { ReasoningEffort } from "../ir.js";

/** Anthropic rejects a `budget_tokens` below this. */
export const MIN_THINKING_BUDGET = 1024;

/** A budget at or above a threshold gets that level: <1024 minimal, <2048 low, <4096 medium, <16384 high, else xhigh. */
export function effortForThinkingBudget(budgetTokens: number): ReasoningEffort {
  if (budgetTokens >= 16384) return "xhigh";
  if (budgetTokens >= 4096) return "high";
  if (budgetTokens >= 2048) return "medium";
  if (budgetTokens >= 1024) return "low";
  return "minimal";
}

/** The budget sent for an effort; `none` has none (thinking is turned off instead). */
export function thinkingBudgetForEffort(effort: ReasoningEffort): number | undefined {
  switch (effort) {
    case "none":
      return undefined;
    case "minimal":
    case "low":
      return 1024;
    case "medium":
      return 2048;
    case "high":
      return 4096;
    case "xhigh":
      return 16384;
    case "max":
      return 32768;
    default: {
      const exhaustive: never = effort;
      return exhaustive;
    }
  }
}
