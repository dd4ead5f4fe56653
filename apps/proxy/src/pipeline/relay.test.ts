import { describe, expect, it } from "vitest";
import { usageFromChatTail, usageFromJsonTail } from "./relay.js";

describe("usage read from the last bytes of an answer", () => {
  it("finds the usage object of a JSON body after multi-byte text, ignoring braces inside strings", () => {
    const body = JSON.stringify({ choices: [{ message: { content: "héllo — ✓ {\"usage\":1}" } }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, note: "a}b" } });
    expect(usageFromJsonTail(Buffer.from(body))).toEqual({ promptTokens: 3, completionTokens: 4, totalTokens: 7 });
    expect(usageFromJsonTail(Buffer.from('{"usage": {"input_tokens": 5, "output_tokens": 6}}'))).toEqual({ promptTokens: 5, completionTokens: 6, totalTokens: 11 });
    expect(usageFromJsonTail(Buffer.from('{"choices":[]}'))).toBeUndefined();
    expect(usageFromJsonTail(Buffer.from('{"usage":{"prompt_tokens":'))).toBeUndefined();
  });

  it("finds the usage chunk of a chat stream", () => {
    const tail = Buffer.from(
      `data: {"choices":[{"delta":{"content":"ünïcode ✓"}}]}\n\n` +
        `data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":20,"total_tokens":32}}\n\n` +
        "data: [DONE]\n\n",
    );
    expect(usageFromChatTail(tail)).toEqual({ promptTokens: 12, completionTokens: 20, totalTokens: 32 });
    expect(usageFromChatTail(Buffer.from('data: {"choices":[]}\n\ndata: [DONE]\n\n'))).toBeUndefined();
  });
});
