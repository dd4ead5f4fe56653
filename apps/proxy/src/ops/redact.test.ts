// Redaction on its own: credentials by name and by value, at any nesting depth.

import { describe, expect, it } from "vitest";
import { REDACTED, nameRedactor, redactHeaders, redactUrl, redactValue } from "./redact.js";
import { Trace } from "./trace.js";

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe("redaction", () => {
  it("walks a 5,000-deep object without throwing, cutting it where serializing would fail", () => {
    const deep = { model: "m", messages: [{ role: "user", content: nested(5000) }], api_key: "sk-deep-secret-123" };
    const { value, cut } = redactValue(deep, ["sk-deep-secret-123"]);
    expect(cut).toBe(true);
    const text = JSON.stringify(value);
    expect(text).toContain("nested deeper than 256 levels");
    expect(text).not.toContain("sk-deep-secret-123");
    expect(redactValue(nested(100_000), []).cut).toBe(true);
  });

  it("writes a full trace of a 5,000-deep body without throwing", () => {
    const trace = new Trace("t1", "m", null, "chat", false, "full", { maxBodyBytes: 1 << 20, maxEvents: 100 });
    trace.setClientRequest({ model: "m", messages: [{ role: "user", content: nested(5000) }] }, { "x-team-key": "team-secret-abc" });
    trace.setUpstreamRequest("http://127.0.0.1/v1/chat/completions", { messages: [{ content: nested(5000) }] });
    const detail = trace.detail({ isSecretHeader: (n) => n === "x-team-key", values: [] });
    const text = JSON.stringify(detail);
    expect(text).not.toContain("team-secret-abc");
    expect(detail.truncated).toMatchObject({ clientRequest: true, upstreamRequest: true });
  });

  it("hides credential headers by name and the values they carried", () => {
    const { headers, values } = redactHeaders(
      {
        authorization: "Bearer sk-abc-123456",
        "x-goog-api-key": "g-key-123456",
        cookie: "s=1",
        "x-auth-token": "t",
        "x-yallmproxy-internal": "internal-replay-secret",
        accept: "*/*",
      },
      nameRedactor,
    );
    expect(headers).toEqual({
      authorization: REDACTED,
      "x-goog-api-key": REDACTED,
      cookie: REDACTED,
      "x-auth-token": REDACTED,
      "x-yallmproxy-internal": REDACTED,
      accept: "*/*",
    });
    expect(values).toContain("sk-abc-123456");
    const body = redactValue(
      { max_tokens: 5, usage: { total_tokens: 3 }, logprobs: [{ token: "hi" }], client_secret: "x", access_token: "y", note: "Bearer sk-abc-123456" },
      values,
    ).value;
    expect(body).toEqual({
      max_tokens: 5,
      usage: { total_tokens: 3 },
      logprobs: [{ token: "hi" }],
      client_secret: REDACTED,
      access_token: REDACTED,
      note: REDACTED,
    });
    expect(redactUrl("https://user:pw@h.example/v1?key=abc&x=1")).toBe("https://redacted@h.example/v1?key=%5Bredacted%5D&x=1");
  });
});
