// `/p1/{model}/{path}` raw pass-through: a streamed upload reaches the upstream before it ends, an
// SSE download reaches the client event by event, a binary body comes back byte for byte;
// hop-by-hop headers stay on their hop, the upstream key replaces the client's; keys, model access,
// the body limit and path traversal are refused.

import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, startProxy } from "../lib/harness.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

const seen: Seen[] = [];
/** Set when the upload's first chunk reached the upstream. */
let firstChunk: (() => void) | undefined;
let sseGate: (() => void) | undefined;
/** Called when the proxy closed an SSE answer the upstream had not finished. */
let upstreamHungUp: (() => void) | undefined;
let upstreamUrl = "";
let server: ReturnType<typeof createServer>;
let p: RunningProxy;

function upstream(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
  if (req.url === "/api/upload") {
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (c: Buffer) => {
      if (bytes === 0) firstChunk?.();
      bytes += c.length;
      hash.update(c);
    });
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ bytes, sha256: hash.digest("hex") }));
    });
    return;
  }
  if (req.url === "/api/echo") {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    req.pipe(res);
    return;
  }
  if (req.url?.startsWith("/api/events")) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.on("close", () => {
      if (!res.writableFinished) upstreamHungUp?.();
    });
    res.write("data: one\n\n");
    new Promise<void>((r) => (sseGate = r)).then(() => res.end("data: two\n\n"));
    return;
  }
  if (req.url === "/api/hops") {
    res.writeHead(200, {
      "content-type": "text/plain",
      connection: "x-up-hop",
      "x-up-hop": "1",
      "keep-alive": "timeout=5",
      "proxy-authenticate": "Basic",
      "x-up-keep": "1",
    });
    res.end("hops");
    return;
  }
  // Never answers: for the timeout.
  if (req.url === "/api/hang") return void req.resume();
  req.resume();
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ detail: `no ${req.method} ${req.url}` }));
}

beforeAll(async () => {
  server = createServer(upstream);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  upstreamUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  p = await startProxy(
    `
model_list:
  - model_name: raw
    model_params: { api_type: passthrough, api_base: ${upstreamUrl}, api_key: sk-raw-up }
    access_control: { allowed_keys: [alice] }
  - model_name: raw-open
    model_params: { api_type: passthrough, api_base: ${upstreamUrl} }
  - model_name: raw-slow
    model_params: { api_type: passthrough, api_base: ${upstreamUrl}, request_timeout: 0.5 }
  - model_name: chatty
    model_params: { api_type: mock }
proxy_settings:
  server: { body_limit_mb: 2 }
  usage: { flush_interval_ms: 50 }
app_keys:
  enabled: true
  keys:
    - { key_id: alice, secret: sk-alice }
    - { key_id: bob, secret: sk-bob }
    - { key_id: carol, secret: sk-carol, rpm_limit: 2 }
`,
    { YALLMP_ADMIN_PASSWORD: "p1-admin" },
  );
});

afterAll(async () => {
  await p?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const alice = { authorization: "Bearer sk-alice" };

/** A request sent as written: no URL normalization, any headers. */
function rawRequest(path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const url = new URL(p.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: body ? "POST" : "GET", headers }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("/p1 streams both ways", () => {
  it("streams an upload: the upstream has its first chunk before the client sends the rest", async () => {
    const reached = new Promise<void>((r) => (firstChunk = r));
    const parts = [randomBytes(64 * 1024), randomBytes(300 * 1024)];
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        controller.enqueue(parts[0]!);
        await reached;
        controller.enqueue(parts[1]!);
        controller.close();
      },
    });
    const res = await fetch(`${p.url}/p1/raw/upload`, {
      method: "POST",
      headers: { ...alice, "content-type": "application/x-thing" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(200);
    const whole = Buffer.concat(parts);
    expect(await res.json()).toEqual({ bytes: whole.length, sha256: createHash("sha256").update(whole).digest("hex") });
  });

  it("streams an SSE answer: the first event arrives while the upstream still holds the second", async () => {
    const res = await fetch(`${p.url}/p1/raw/events?x=1&y=%20`, { headers: alice });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(seen.at(-1)!.url).toBe("/api/events?x=1&y=%20");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe("data: one\n\n");
    sseGate!();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).toBe("data: two\n\n");
  });

  it("hangs up on the upstream when the client leaves mid-stream", async () => {
    const hungUp = new Promise<void>((r) => (upstreamHungUp = r));
    const ac = new AbortController();
    const res = await fetch(`${p.url}/p1/raw/events`, { headers: alice, signal: ac.signal });
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe("data: one\n\n");
    ac.abort();
    await hungUp;
  });

  it("answers HEAD with the upstream's headers and no body", async () => {
    const res = await fetch(`${p.url}/p1/raw/missing`, { method: "HEAD", headers: alice });
    expect(res.status).toBe(404);
    expect(seen.at(-1)!.method).toBe("HEAD");
    expect(await res.text()).toBe("");
  });

  it("returns a binary body byte for byte", async () => {
    const bytes = randomBytes(1024 * 1024);
    const res = await fetch(`${p.url}/p1/raw/echo`, { method: "PUT", headers: { ...alice, "content-type": "application/octet-stream" }, body: bytes });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("passes the upstream's own status and body", async () => {
    const res = await fetch(`${p.url}/p1/raw/missing`, { method: "DELETE", headers: alice });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: "no DELETE /api/missing" });
  });
});

describe("/p1 headers", () => {
  it("strips hop-by-hop headers both ways and puts the upstream key in place of the client's", async () => {
    const res = await rawRequest("/p1/raw/hops", {
      authorization: "Bearer sk-alice",
      "x-api-key": "sk-alice",
      connection: "keep-alive, x-drop-me",
      "x-drop-me": "1",
      "keep-alive": "timeout=5",
      te: "trailers",
      "proxy-authorization": "Basic Zm9vOmJhcg==",
      "x-keep": "1",
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe("hops");
    const sent = seen.at(-1)!.headers;
    expect(sent.authorization).toBe("Bearer sk-raw-up");
    expect(sent["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(sent)).not.toContain("sk-alice");
    expect(sent["x-drop-me"]).toBeUndefined();
    expect(sent["keep-alive"]).toBeUndefined();
    expect(sent.te).toBeUndefined();
    expect(sent["proxy-authorization"]).toBeUndefined();
    expect(sent["x-keep"]).toBe("1");
    expect(res.headers["x-up-hop"]).toBeUndefined();
    expect(res.headers["proxy-authenticate"]).toBeUndefined();
    expect(res.headers["x-up-keep"]).toBe("1");
  });
});

describe("/p1 accounting", () => {
  it("counts each request in the metrics and the usage ledger, without tokens", async () => {
    const admin = { authorization: "Bearer p1-admin" };
    const res = await fetch(`${p.url}/p1/raw/missing?acct=1`, { headers: { ...alice, "x-request-id": "p1-acct-1" } });
    expect(res.headers.get("x-request-id")).toBe("p1-acct-1");
    await res.arrayBuffer();
    let rows: Array<{ key: string; model: string; requests: number; input_tokens: number }> = [];
    for (let i = 0; i < 50 && !rows.some((r) => r.model === "raw"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = ((await (await fetch(`${p.url}/admin/usage?group_by=key,model`, { headers: admin })).json()) as { data: typeof rows }).data;
    }
    const raw = rows.find((r) => r.key === "alice" && r.model === "raw")!;
    expect(raw.requests).toBeGreaterThan(0);
    expect(raw.input_tokens).toBe(0);
    const metrics = await (await fetch(`${p.url}/metrics`)).text();
    expect(metrics).toMatch(/client_format="passthrough"/);
    // No trace is stored: the bodies are never read, and the trace store knows wire formats only.
    expect((await fetch(`${p.url}/admin/traces/p1-acct-1`, { headers: admin })).status).toBe(404);
  });
});

describe("/p1 refusals", () => {
  it("checks the key and the model's access list", async () => {
    expect((await fetch(`${p.url}/p1/raw/events`)).status).toBe(401);
    const bob = await fetch(`${p.url}/p1/raw/events`, { headers: { authorization: "Bearer sk-bob" } });
    expect(bob.status).toBe(403);
    expect(((await bob.json()) as { error: { code: string } }).error.code).toBe("model_not_allowed");
  });

  it("serves pass-through models on /p1 only, and only them there", async () => {
    const notRaw = await fetch(`${p.url}/p1/chatty/chat/completions`, { method: "POST", headers: alice, body: "{}" });
    expect(notRaw.status).toBe(404);
    const chat = await fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...alice, "content-type": "application/json" },
      body: JSON.stringify({ model: "raw", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(404);
    const listed = (await (await fetch(`${p.url}/v1/models`, { headers: alice })).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((m) => m.id)).toEqual(["chatty"]);
  });

  it("refuses dot segments and encoded slashes before calling the upstream", async () => {
    const before = seen.length;
    for (const path of ["/p1/raw/../../admin", "/p1/raw/a/%2e%2E/b", "/p1/raw/a%2F..%2Fb", "/p1/raw/a%5cb", "/p1/raw/./x"]) {
      const res = await rawRequest(path, alice);
      expect(res.status, path).toBe(400);
      expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe("invalid_url");
    }
    expect(seen.length).toBe(before);
  });

  it("counts requests against the key's rpm_limit", async () => {
    const carol = { authorization: "Bearer sk-carol" };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${p.url}/p1/raw-open/missing`, { headers: carol });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([404, 404, 429]);
  });

  it("gives up on an upstream that does not answer within request_timeout (504)", async () => {
    const started = performance.now();
    const res = await fetch(`${p.url}/p1/raw-slow/hang`, { headers: alice });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_timeout");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("refuses a body over the limit, declared or streamed", async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const declared = await fetch(`${p.url}/p1/raw/upload`, { method: "POST", headers: alice, body: big });
    expect(declared.status).toBe(413);
    const streamed = await fetch(`${p.url}/p1/raw/upload`, {
      method: "POST",
      headers: alice,
      body: new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 3; i++) c.enqueue(big.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit).catch((err: unknown) => err);
    // The proxy answers 413 and closes; a client still sending may see the connection go instead.
    if (streamed instanceof Response) expect(streamed.status).toBe(413);
    else expect(streamed).toBeInstanceOf(Error);
  });
});
