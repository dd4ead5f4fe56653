import { describe, expect, it } from "vitest";
import { editAnthropicBetas } from "./betas.js";

describe("editAnthropicBetas", () => {
  it("drops named betas and prefixes, keeps the client's order, adds the missing ones once", () => {
    const header = "claude-code-20250219, interleaved-thinking-2025-05-14,context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14";
    expect(
      editAnthropicBetas(header, {
        drop: ["interleaved-thinking-2025-05-14", "context-management-*"],
        add: ["fine-grained-tool-streaming-2025-05-14", "x-new"],
      }),
    ).toBe("claude-code-20250219,fine-grained-tool-streaming-2025-05-14,x-new");
  });

  it("adds betas to a request that had none, and removes the header when nothing is left", () => {
    expect(editAnthropicBetas(undefined, { drop: [], add: ["a", "a"] })).toBe("a");
    expect(editAnthropicBetas("a, b", { drop: ["*"], add: [] })).toBeUndefined();
    expect(editAnthropicBetas(" , ,", { drop: [], add: [] })).toBeUndefined();
  });

  it("a drop of an exact name does not match a longer one", () => {
    expect(editAnthropicBetas("files-api,files-api-2025-04-14", { drop: ["files-api"], add: [] })).toBe("files-api-2025-04-14");
  });
});
