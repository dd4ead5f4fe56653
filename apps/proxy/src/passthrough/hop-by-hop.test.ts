import { describe, expect, it } from "vitest";
import { clientHeaders, passthroughPath, upstreamHeaders } from "./hop-by-hop.js";

describe("passthroughPath", () => {
  it.each([
    ["/p1/raw/v1/things?x=1", { model: "raw", path: "/v1/things", query: "?x=1" }],
    ["/p1/raw", { model: "raw", path: "/", query: "" }],
    ["/p1/my%20model/a%20b/", { model: "my model", path: "/a%20b/", query: "" }],
    ["/p1/raw/a?next=../../x", { model: "raw", path: "/a", query: "?next=../../x" }],
  ])("%s is relayed", (url, want) => expect(passthroughPath(url)).toEqual(want));

  it.each([
    "/p1/raw/../x",
    "/p1/raw/a/%2E%2e",
    "/p1/raw/.%2e/x",
    "/p1/raw/a/./b",
    "/p1/raw/a%2fb",
    "/p1/raw/a%5Cb",
    "/p1/raw/a\\b",
    "/p1/raw/a%00",
    "/p1/%E0%A4%A/x",
    "/p2/raw/x",
  ])("%s is refused", (url) => expect(passthroughPath(url)).toHaveProperty("refused"));
});

describe("hop-by-hop headers", () => {
  it("drops hop-by-hop headers, those Connection names and the client's credentials; adds the upstream key", () => {
    const out = upstreamHeaders(
      {
        connection: "keep-alive, X-Custom-Hop",
        "x-custom-hop": "1",
        "keep-alive": "timeout=5",
        te: "trailers",
        "transfer-encoding": "chunked",
        upgrade: "h2c",
        "proxy-authorization": "Basic x",
        host: "proxy.local",
        authorization: "Bearer client",
        "x-api-key": "client",
        "x-app-key": "client",
        cookie: "session=1",
        "content-type": "application/json",
        "content-length": "12",
        "x-end-to-end": "kept",
      },
      { appKeyHeader: "X-App-Key", apiKey: "sk-up", extra: { "X-Org": "acme" } },
    );
    expect(out).toEqual({ "content-type": "application/json", "content-length": "12", "x-end-to-end": "kept", authorization: "Bearer sk-up", "x-org": "acme" });
  });

  it("drops hop-by-hop headers from the upstream's answer", () => {
    expect(
      clientHeaders({ Connection: "close, x-hop", "x-hop": "1", "Transfer-Encoding": "chunked", "proxy-authenticate": "Basic", "set-cookie": ["a=1", "b=2"] }),
    ).toEqual({
      "set-cookie": ["a=1", "b=2"],
    });
  });
});
