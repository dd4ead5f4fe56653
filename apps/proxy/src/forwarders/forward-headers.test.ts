import { describe, expect, it } from "vitest";
import { endToEndHeaders, endToEndResponseHeaders } from "./forward-headers.js";

describe("endToEndHeaders", () => {
  it("drops hop-by-hop headers and those Connection names, keeps repeats in order, and Host only when asked", () => {
    const raw = [
      "Host",
      "public.test",
      "Connection",
      "keep-alive, X-Secret",
      "X-Secret",
      "s",
      "Transfer-Encoding",
      "chunked",
      "TE",
      "trailers",
      "Expect",
      "100-continue",
      "X-A",
      "1",
      "x-a",
      "2",
    ];
    expect(endToEndHeaders(raw, { keepHost: true })).toEqual(["Host", "public.test", "X-A", "1", "x-a", "2"]);
    expect(endToEndHeaders(raw, { keepHost: false })).toEqual(["X-A", "1", "x-a", "2"]);
  });

  it("does the same to an answer's headers, a repeated one kept as a list", () => {
    expect(
      endToEndResponseHeaders({
        "set-cookie": ["a=1", "b=2"],
        connection: "close, x-drop",
        "x-drop": "1",
        "keep-alive": "timeout=5",
        "content-type": "text/plain",
        "x-none": undefined,
      }),
    ).toEqual({ "set-cookie": ["a=1", "b=2"], "content-type": "text/plain" });
  });
});
