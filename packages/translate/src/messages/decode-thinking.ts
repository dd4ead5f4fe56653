// Anthropic `thinking` + `output_config.effort` → hub reasoning config (docs/protocol.md §4.4).

import type { ReasoningConfig, ReasoningEffort } from "../ir.js";
import { isRecord } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";
import { effortForThinkingBudget } from "./thinking-budget.js";

const MESSAGES_EFFORTS: readonly ReasoningEffort[] = ["low", "medium", "high", "xhigh", "max"];

function decodeEffort(outputConfig: unknown): ReasoningEffort | undefined {
  if (!isRecord(outputConfig)) return undefined;
  const effort = f.optionalString(outputConfig.effort, "output_config.effort");
  if (effort === undefined) return undefined;
  const known = MESSAGES_EFFORTS.find((level) => level === effort);
  return known ?? f.fail("output_config.effort", `one of ${MESSAGES_EFFORTS.join(", ")}`);
}

/**
 * `enabled` keeps its budget (effort: `output_config.effort`, else bucketed from the budget); `adaptive`
 * takes its effort from `output_config.effort` (none means the model's default); `disabled` turns reasoning
 * off. An effort without `thinking` is still an effort.
 */
export function decodeMessagesThinking(thinking: unknown, outputConfig: unknown): ReasoningConfig | undefined {
  const effort = decodeEffort(outputConfig);
  if (thinking === undefined || thinking === null) return effort === undefined ? undefined : { effort };
  const config = f.record(thinking, "thinking");
  const type = f.string(config.type, "thinking.type");
  switch (type) {
    case "enabled": {
      const budget = f.optionalNumber(config.budget_tokens, "thinking.budget_tokens");
      if (budget === undefined) return f.fail("thinking.budget_tokens", "a number");
      return { budgetTokens: budget, effort: effort ?? effortForThinkingBudget(budget) };
    }
    case "adaptive":
      return effort === undefined ? {} : { effort };
    case "disabled":
      return { disabled: true };
    default:
      return f.fail("thinking.type", "one of enabled, adaptive, disabled");
  }
}
