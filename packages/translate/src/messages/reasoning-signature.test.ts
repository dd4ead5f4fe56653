import { describe, expect, it } from "vitest";
import { packReasoningSignature, unpackReasoningSignature } from "./reasoning-signature.js";

describe("reasoning signature packing", () => {
  it("passes real Anthropic signatures through untouched", () => {
    expect(packReasoningSignature({ signature: "EvQB+/==", encryptedContent: "ignored" })).toBe("EvQB+/==");
    expect(unpackReasoningSignature("EvQB+/==")).toEqual({ signature: "EvQB+/==" });
  });

  it("round-trips an OpenAI reasoning item", () => {
    const packed = packReasoningSignature({ encryptedContent: "gAAAAABpPDIV", id: "rs_0183" });
    expect(packed.startsWith("yallm-rsenc-v1:")).toBe(true);
    expect(unpackReasoningSignature(packed)).toEqual({ encryptedContent: "gAAAAABpPDIV", id: "rs_0183" });
    expect(unpackReasoningSignature(packReasoningSignature({ encryptedContent: "x" }))).toEqual({ encryptedContent: "x" });
  });

  it("gives an empty signature for unsigned reasoning, read back as none", () => {
    expect(packReasoningSignature({})).toBe("");
    expect(unpackReasoningSignature("")).toEqual({});
  });

  it("keeps a corrupt packed value as an opaque signature", () => {
    expect(unpackReasoningSignature("yallm-rsenc-v1:!!!")).toEqual({ signature: "yallm-rsenc-v1:!!!" });
  });
});
