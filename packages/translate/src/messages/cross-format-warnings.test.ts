import { describe, expect, it } from "vitest";
import { decodeMessagesRequest } from "./decode-request.js";
import { messagesOnlyFieldWarnings } from "./cross-format-warnings.js";

describe("messagesOnlyFieldWarnings", () => {
  it("warns about every Anthropic-only field, server tool and top_k, but not mirrored thinking/effort", () => {
    const { value } = decodeMessagesRequest({
      model: "claude-opus-4-8",
      max_tokens: 64000,
      messages: [{ role: "user", content: "hi" }],
      top_k: 5,
      thinking: { type: "adaptive" },
      output_config: { effort: "high", task_budget: 10 },
      context_management: { edits: [] },
      container: "c_1",
      tools: [
        { name: "Bash", input_schema: { type: "object" } },
        { type: "web_search_20250305", name: "web_search" },
      ],
    });
    expect(messagesOnlyFieldWarnings(value).map((w) => w.path)).toEqual(["top_k", "tools", "output_config.task_budget", "context_management", "container"]);
    expect(messagesOnlyFieldWarnings(value)[1]?.message).toContain("web_search_20250305");
  });

  it("is empty for a request with nothing Anthropic-only", () => {
    const { value } = decodeMessagesRequest({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }], temperature: 0.5 });
    expect(messagesOnlyFieldWarnings(value)).toEqual([]);
  });
});
