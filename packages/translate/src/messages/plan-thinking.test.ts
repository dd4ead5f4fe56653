import { describe, expect, it } from "vitest";
import type { LlmRequest, ReasoningConfig } from "../ir.js";
import { encodeMessagesRequest } from "./encode-request.js";

function encode(extra: Partial<LlmRequest> = {}) {
  const req: LlmRequest = { model: "gpt-5", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: false, ...extra };
  return encodeMessagesRequest(req, { model: "claude-sonnet-4-5" });
}

describe("planMessagesThinking (through encodeMessagesRequest)", () => {
  it.each<[ReasoningConfig, number | undefined, Record<string, unknown>, number]>([
    [{ effort: "minimal" }, 20000, { type: "enabled", budget_tokens: 1024 }, 20000],
    [{ effort: "low" }, 20000, { type: "enabled", budget_tokens: 1024 }, 20000],
    [{ effort: "medium" }, 20000, { type: "enabled", budget_tokens: 2048 }, 20000],
    [{ effort: "high" }, 20000, { type: "enabled", budget_tokens: 4096 }, 20000],
    [{ effort: "xhigh" }, 20000, { type: "enabled", budget_tokens: 16384 }, 20000],
    [{ effort: "max" }, 40000, { type: "enabled", budget_tokens: 32768 }, 40000],
    [{ budgetTokens: 500 }, 20000, { type: "enabled", budget_tokens: 1024 }, 20000],
    [{ effort: "high" }, undefined, { type: "enabled", budget_tokens: 4096 }, 8192],
    [{ effort: "medium" }, 1000, { type: "enabled", budget_tokens: 2048 }, 3048],
    [{ disabled: true }, 20000, { type: "disabled" }, 20000],
    [{ effort: "none" }, 20000, { type: "disabled" }, 20000],
  ])("reasoning %j with max %s → thinking %j, max_tokens %i", (reasoning, maxOutputTokens, thinking, maxTokens) => {
    const extra: Partial<LlmRequest> = { reasoning };
    if (maxOutputTokens !== undefined) extra.maxOutputTokens = maxOutputTokens;
    const { value } = encode(extra);
    expect(value.thinking).toEqual(thinking);
    expect(value.max_tokens).toBe(maxTokens);
  });

  it("warns when it raises the client's max_tokens", () => {
    const { warnings } = encode({ reasoning: { effort: "medium" }, maxOutputTokens: 1000 });
    expect(warnings).toEqual([{ code: "value_adjusted", path: "max_tokens", message: expect.stringContaining("raised from 1000 to 3048") }]);
  });

  it("sends no thinking for a reasoning config without effort or budget", () => {
    expect(encode({ reasoning: { summary: "auto" } }).value.thinking).toBeUndefined();
  });

  it("drops temperature, top_p and top_k with a warning while thinking", () => {
    const { value, warnings } = encode({ reasoning: { effort: "low" }, temperature: 0.2, topP: 0.9, topK: 5 });
    expect(value.temperature).toBeUndefined();
    expect(value.top_p).toBeUndefined();
    expect(value.top_k).toBeUndefined();
    expect(warnings.map((w) => w.path)).toEqual(["temperature", "top_p", "top_k"]);
  });

  it("turns thinking off when a tool call is forced", () => {
    const { value, warnings } = encode({
      reasoning: { effort: "high" },
      temperature: 0.5,
      tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
      toolChoice: { type: "required" },
    });
    expect(value.thinking).toBeUndefined();
    expect(value.temperature).toBe(0.5);
    expect(warnings.map((w) => w.path)).toEqual(["reasoning"]);
  });

  it("turns thinking off when the tool-use turn being answered has no signed thinking (chat clients)", () => {
    const tools = [{ type: "function" as const, name: "f", parameters: { type: "object" } }];
    const call = { type: "tool_call" as const, id: "toolu_1", name: "f", arguments: "{}" };
    const loop = (assistant: import("../ir.js").AssistantPart[]) =>
      encode({
        reasoning: { effort: "high" },
        maxOutputTokens: 20000,
        tools,
        messages: [
          { role: "user", content: [{ type: "text", text: "hi" }] },
          { role: "assistant", content: assistant },
          { role: "tool", toolCallId: "toolu_1", content: [{ type: "text", text: "42" }] },
        ],
      });
    const unsigned = loop([{ type: "reasoning", text: "thought, signature lost" }, { type: "text", text: "calling" }, call]);
    expect(unsigned.value.thinking).toBeUndefined();
    expect(unsigned.value.max_tokens).toBe(20000);
    expect(unsigned.warnings.map((w) => w.path)).toEqual(["messages[1].content[0]", "reasoning"]);

    const signed = loop([{ type: "reasoning", text: "thought", signature: "sig" }, call]);
    expect(signed.value.thinking).toEqual({ type: "enabled", budget_tokens: 4096 });
    expect(signed.warnings).toEqual([]);

    // A new user message closes the tool loop: thinking may go on again.
    const closed = encode({
      reasoning: { effort: "high" },
      maxOutputTokens: 20000,
      tools,
      messages: [
        { role: "user", content: [{ type: "text", text: "hi" }] },
        { role: "assistant", content: [call] },
        { role: "tool", toolCallId: "toolu_1", content: [{ type: "text", text: "42" }] },
        { role: "assistant", content: [{ type: "text", text: "It is 42." }] },
        { role: "user", content: [{ type: "text", text: "thanks" }] },
      ],
    });
    expect(closed.value.thinking).toEqual({ type: "enabled", budget_tokens: 4096 });
  });

  it("keeps adaptive thinking but follows an effort the proxy changed", () => {
    const { value } = encode({
      reasoning: { effort: "minimal" },
      passthrough: { messages: { thinking: { type: "adaptive" }, output_config: { effort: "high" } } },
    });
    expect(value.thinking).toEqual({ type: "adaptive" });
    expect(value.output_config).toEqual({ effort: "low" });
  });

  it("replays an enabled budget exactly, and recomputes it when the hub reasoning changed", () => {
    const original = { type: "enabled", budget_tokens: 3000, display: "omitted" };
    const same = encode({ reasoning: { budgetTokens: 3000, effort: "medium" }, maxOutputTokens: 10000, passthrough: { messages: { thinking: original } } });
    expect(same.value.thinking).toEqual(original);
    const changed = encode({ reasoning: { effort: "high" }, maxOutputTokens: 10000, passthrough: { messages: { thinking: original } } });
    expect(changed.value.thinking).toEqual({ type: "enabled", budget_tokens: 4096, display: "omitted" });
  });
});
