// swap_reasoning_content both ways, streamed and whole, and the MiniMax reasoning_details reading.

import { describe, expect, it } from "vitest";
import { framesThrough, modulesOf, responseThrough, streamThrough, templates } from "../shared/testing/modules-harness.js";

const swap = (cfg: Record<string, unknown>, read = templates({})) => modulesOf({ response: ["swap_reasoning"], swap_reasoning: cfg }, read);
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });

describe("swap_reasoning_content", () => {
  it("reasoning_to_content, whole: reasoning wrapped in think tags before the content", () => {
    const seen = responseThrough(swap({ mode: "reasoning_to_content", think_tag: "think" }), {
      content: "The answer.",
      reasoning_content: "Internal reasoning.",
    });
    expect(seen).toMatchObject({ content: "<think>Internal reasoning.</think>\nThe answer.", reasoning: undefined });
  });

  it("reasoning_to_content with prefix/suffix and no newline", () => {
    const seen = responseThrough(
      swap({ mode: "to_content", think_open: { prefix: "[", suffix: "\n" }, think_close: { prefix: "\n", suffix: "]" }, include_newline: false }),
      {
        content: "A",
        reasoning_content: "R",
      },
    );
    expect(seen.content).toBe("[<think>\nR\n</think>]A");
  });

  it("reasoning_to_content, streamed: open tag once, closed before the text and before a tool call", () => {
    const seen = framesThrough(swap({ mode: "reasoning_to_content" }), [
      chunk({ role: "assistant", reasoning_content: "Let me " }),
      chunk({ reasoning_content: "think." }),
      chunk({ content: "Hi" }),
      chunk({ content: "!" }, "stop"),
      "[DONE]",
    ]);
    expect(seen.content).toBe("<think>Let me think.</think>\nHi!");
    expect(seen.reasoning).toBe("");
    const closing = framesThrough(swap({ mode: "reasoning_to_content" }), [
      chunk({ role: "assistant", reasoning_content: "plan" }),
      chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] }, "tool_calls"),
      "[DONE]",
    ]);
    expect(closing.content).toBe("<think>plan</think>");
    expect(closing.calls.map((c) => c.name)).toEqual(["f"]);
  });

  it("reasoning that never ends is closed at the finish", () => {
    const seen = framesThrough(swap({}), [chunk({ role: "assistant", reasoning_content: "only thoughts" }), chunk({}, "length"), "[DONE]"]);
    expect(seen.content).toBe("<think>only thoughts</think>");
  });

  it("content_to_reasoning, whole and streamed with the tag split", () => {
    expect(responseThrough(swap({ mode: "content_to_reasoning" }), { content: "<think>reasoning</think>This is the answer" })).toMatchObject({
      reasoning: "reasoning",
      content: "This is the answer",
    });
    expect(responseThrough(swap({ mode: "content_to_reasoning", think_tag: "analysis" }), { content: "<analysis>deep</analysis>ok" })).toMatchObject({
      reasoning: "deep",
      content: "ok",
    });
    const seen = streamThrough(swap({ mode: "content_to_reasoning" }), ["<thi", "nk>Thinking...</th", "ink>Answer!"]);
    expect(seen).toMatchObject({ reasoning: "Thinking...", content: "Answer!" });
  });

  it("auto picks per choice from what comes first", () => {
    expect(streamThrough(swap({ mode: "auto" }), ["<think>t</think>c"])).toMatchObject({ reasoning: "t", content: "c" });
    expect(
      framesThrough(swap({ mode: "auto" }), [chunk({ role: "assistant", reasoning_content: "r" }), chunk({ content: "c" }, "stop"), "[DONE]"]).content,
    ).toBe("<think>r</think>\nc");
  });

  it("the wrapping is read from the template (think tag as configured, newline from the content line)", () => {
    const read = templates({ "t.jinja": "{{ '<think>\\n' + reasoning_content + '\\n</think>\\n\\n' + content }}" });
    const seen = responseThrough(swap({ template_path: "t.jinja" }, read), { content: "C", reasoning_content: "R" });
    expect(seen.content).toBe("<think>\nR\n</think>\n\n\nC");
  });

  it("runs after parse_tags whatever the listed order", () => {
    const modules = modulesOf({ response: ["swap_reasoning_content", "parse_tags"], swap_reasoning_content: { mode: "reasoning_to_content" } });
    expect(modules.map((m) => m.name)).toEqual(["parse_tags", "swap_reasoning_content"]);
  });
});

describe("reasoning_details (MiniMax), read without any module", () => {
  it("whole answer", () => {
    const seen = responseThrough([], { content: "Visible answer", reasoning_details: [{ type: "reasoning.text", text: "Need to inspect the code first." }] });
    expect(seen).toMatchObject({ reasoning: "Need to inspect the code first.", content: "Visible answer" });
  });

  it("stream, spaces at chunk boundaries kept", () => {
    const seen = framesThrough(
      [],
      [
        chunk({ role: "assistant", reasoning_details: [{ type: "reasoning.text", text: "The " }] }),
        chunk({ reasoning_details: [{ type: "reasoning.text", text: "user asked" }] }),
        chunk({ content: "ok" }, "stop"),
        "[DONE]",
      ],
    );
    expect(seen.reasoning).toBe("The user asked");
  });

  it("reasoning_content wins when both are there", () => {
    expect(responseThrough([], { content: "x", reasoning_content: "own", reasoning_details: [{ text: "other" }] }).reasoning).toBe("own");
  });
});
