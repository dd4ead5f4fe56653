import { describe, expect, it } from "vitest";
import type { ReasoningEffort } from "../ir.js";
import { effortForThinkingBudget, thinkingBudgetForEffort } from "./thinking-budget.js";

describe("effortForThinkingBudget", () => {
  it.each<[number, ReasoningEffort]>([
    [0, "minimal"],
    [512, "minimal"],
    [1023, "minimal"],
    [1024, "low"],
    [2047, "low"],
    [2048, "medium"],
    [4095, "medium"],
    [4096, "high"],
    [10000, "high"],
    [16384, "xhigh"],
    [60000, "xhigh"],
  ])("%i tokens → %s", (budget, effort) => {
    expect(effortForThinkingBudget(budget)).toBe(effort);
  });
});

describe("thinkingBudgetForEffort", () => {
  it.each<[ReasoningEffort, number | undefined]>([
    ["none", undefined],
    ["minimal", 1024],
    ["low", 1024],
    ["medium", 2048],
    ["high", 4096],
    ["xhigh", 16384],
    ["max", 32768],
  ])("%s → %s", (effort, budget) => {
    expect(thinkingBudgetForEffort(effort)).toBe(budget);
  });

  it("round-trips every level above minimal", () => {
    for (const effort of ["low", "medium", "high", "xhigh"] as const) {
      expect(effortForThinkingBudget(thinkingBudgetForEffort(effort) ?? 0)).toBe(effort);
    }
  });
});
