import { describe, expect, it } from "vitest";
import { createFinishWatch, createUsageWatch } from "./finish-watch.js";
import { usageOfRelayedStream } from "./usage.js";

/** Feeds `text` in pieces of `size` bytes. */
function fed<T extends { feed(b: Buffer): void }>(watch: T, text: string, size: number): T {
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += size) watch.feed(buf.subarray(i, i + size));
  return watch;
}

describe("the finish of a relayed stream, heard as it passes", () => {
  const chat =
    'data: {"choices":[{"delta":{"content":"say \\"finish_reason\\":\\"stop\\""},"finish_reason":null}]}\n\n' +
    'data: {"choices":[{"delta":{},"finish_reason":"tool_calls"}]}\n\n' +
    'data: {"choices":[{"delta":{},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\n' +
    "data: [DONE]\n\n";

  it("keeps the last string value, whatever follows it and however the bytes are cut", () => {
    for (const size of [1, 3, 7, 16, 64, 4096]) expect(fed(createFinishWatch("chat"), chat, size).finish(), `pieces of ${size}`).toBe("tool_calls");
  });

  it("ignores a field quoted inside text, and says nothing when no finish came", () => {
    expect(fed(createFinishWatch("chat"), chat.split("\n\n")[0]!, 5).finish()).toBeUndefined();
  });

  it("reads Anthropic's stop_reason and a Responses status, reason and function call", () => {
    const messages = 'data: {"message":{"stop_reason":null}}\n\ndata: {"delta":{"stop_reason":"max_tokens"}}\n\n';
    expect(fed(createFinishWatch("messages"), messages, 5).finish()).toBe("length");
    const responses = 'data: {"response":{"status":"in_progress"}}\n\ndata: {"item":{"type":"function_call","status":"completed"}}\n\n';
    expect(fed(createFinishWatch("responses"), responses, 9).finish()).toBe("tool_calls");
  });

  it("keeps the bytes of the last usage object for its counts", () => {
    for (const size of [2, 5, 11, 4096]) {
      const window = fed(createUsageWatch(), chat + ": " + "p".repeat(9000) + "\n\n", size).last();
      expect(usageOfRelayedStream(undefined, window!), `pieces of ${size}`).toMatchObject({ promptTokens: 3, completionTokens: 4 });
    }
  });
});
