// Data URLs, annotation shapes, reasoning effort buckets and the opaque reasoning codec.

import { describe, expect, it } from "vitest";
import { toChatAnnotations, toResponsesAnnotations } from "./annotations.js";
import { fileDataToMediaSource, mediaSourceToUrl, parseDataUrl, urlToMediaSource } from "./data-url.js";
import { effectiveEffort, packReasoningOpaque, unpackReasoningOpaque } from "./reasoning.js";

describe("data URLs", () => {
  it.each([
    ["data:image/png;base64,AAAA", { mediaType: "image/png", data: "AAAA" }],
    ["data:application/pdf;name=a.pdf;base64,JVB", { mediaType: "application/pdf", data: "JVB" }],
    ["data:;base64,QQ==", { mediaType: "application/octet-stream", data: "QQ==" }],
    ["data:text/plain,hello", undefined],
    ["https://x.test/a.png", undefined],
  ])("%s", (url, expected) => {
    expect(parseDataUrl(url)).toEqual(expected);
  });

  it("round-trips media sources", () => {
    expect(urlToMediaSource("data:image/gif;base64,R0lG")).toEqual({ kind: "base64", mediaType: "image/gif", data: "R0lG" });
    expect(urlToMediaSource("https://x.test/a")).toEqual({ kind: "url", url: "https://x.test/a" });
    expect(mediaSourceToUrl({ kind: "base64", mediaType: "image/gif", data: "R0lG" })).toBe("data:image/gif;base64,R0lG");
    expect(mediaSourceToUrl({ kind: "file_id", fileId: "f" })).toBeUndefined();
  });

  it("bare base64 file_data gets its type from the file name", () => {
    expect(fileDataToMediaSource("QUJD", "notes.txt")).toEqual({ kind: "base64", mediaType: "text/plain", data: "QUJD" });
    expect(fileDataToMediaSource("JVB", undefined)).toEqual({ kind: "base64", mediaType: "application/pdf", data: "JVB" });
  });
});

describe("annotations", () => {
  const nested = { type: "url_citation", url_citation: { url: "https://a.test", title: "A", start_index: 1, end_index: 4 } };
  const flat = { type: "url_citation", url: "https://a.test", title: "A", start_index: 1, end_index: 4 };

  it("converts url_citation between the nested Chat and flat Responses shapes", () => {
    expect(toResponsesAnnotations([nested])).toEqual({ value: [flat], dropped: 0 });
    expect(toChatAnnotations([flat])).toEqual({ value: [nested], dropped: 0 });
  });

  it("shifts indices when texts are joined and counts what the target cannot hold", () => {
    expect(toChatAnnotations([flat, { type: "file_citation", file_id: "f" }], 10)).toEqual({
      value: [{ type: "url_citation", url_citation: { url: "https://a.test", title: "A", start_index: 11, end_index: 14 } }],
      dropped: 1,
    });
    expect(toResponsesAnnotations([{ type: "file_citation", file_id: "f", index: 0 }, { type: "char_location" }]).dropped).toBe(1);
  });

  it("makes an Anthropic web search citation a url_citation over its text when that text's length is known", () => {
    const cite = { type: "web_search_result_location", url: "https://a.test", title: "A", encrypted_index: "ix", cited_text: "abc" };
    expect(toResponsesAnnotations([cite], 5, 3)).toEqual({
      value: [{ type: "url_citation", url: "https://a.test", title: "A", start_index: 5, end_index: 8 }],
      dropped: 0,
    });
    expect(toChatAnnotations([cite], 0, 3)).toEqual({
      value: [{ type: "url_citation", url_citation: { url: "https://a.test", title: "A", start_index: 0, end_index: 3 } }],
      dropped: 0,
    });
    expect(toResponsesAnnotations([cite]).dropped).toBe(1);
    expect(toChatAnnotations([{ ...cite, url: 7 }], 0, 3).dropped).toBe(1);
  });
});

describe("reasoning", () => {
  it.each([
    [{ effort: "low" as const }, "low"],
    [{ budgetTokens: 500 }, "minimal"],
    [{ budgetTokens: 1024 }, "low"],
    [{ budgetTokens: 3000 }, "medium"],
    [{ budgetTokens: 10000 }, "high"],
    [{ budgetTokens: 32000 }, "xhigh"],
    [{ summary: "auto" as const }, undefined],
  ])("effort of %j is %s", (config, expected) => {
    expect(effectiveEffort(config)).toBe(expected);
  });

  it("packs an Anthropic signature and redacted data into encrypted_content and back", () => {
    const packed = packReasoningOpaque({ type: "reasoning", text: "", signature: "sig", redactedData: "red" });
    expect(packed).toMatch(/^yallmp\.reasoning\.v1:/);
    expect(unpackReasoningOpaque(packed ?? "")).toEqual({ signature: "sig", redactedData: "red" });
  });

  it("real encrypted content passes through untouched", () => {
    expect(packReasoningOpaque({ type: "reasoning", text: "", encryptedContent: "gAAA", signature: "x" })).toBe("gAAA");
    expect(unpackReasoningOpaque("gAAA")).toEqual({ encryptedContent: "gAAA" });
    expect(packReasoningOpaque({ type: "reasoning", text: "t" })).toBeUndefined();
  });
});
