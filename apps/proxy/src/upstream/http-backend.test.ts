// HttpBackend against a real loopback server: both ways of reading a body, chunks that arrive before
// anyone reads them, aborts, timeouts and a broken body.

import { once } from "node:events";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Cancel } from "../cancel.js";
import { parseConfigText } from "../config/load-config.js";
import { HttpBackend } from "./http-backend.js";
import { type BodySink, type UpstreamResponse, UpstreamError } from "./types.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end();
let agents: Agent[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => handler(req, res, body));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  // A pool per test: a connection one test broke on purpose is never reused by the next.
  await Promise.all(agents.map((a) => a.destroy()));
  agents = [];
  server.closeAllConnections();
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function backend(apiBase: string, extra = ""): HttpBackend {
  const { config } = parseConfigText(
    `model_list:\n  - { model_name: m, model_params: { api_type: openai, api_base: "${apiBase}", api_key: sk-test, model: up${extra} } }\n`,
    "test.yaml",
    {},
  );
  const agent = new Agent({ keepAliveTimeout: 1000 });
  agents.push(agent);
  return new HttpBackend(config.models.get("m")!, agent);
}

const send = (b: HttpBackend, cancel = new Cancel()) => b.send({ path: "/chat/completions", body: { model: "up", messages: [] }, stream: false, cancel });

/** Reads a direct body to the end, pausing for `pauseMs` after every chunk when asked to. */
function drainDirect(res: UpstreamResponse, pauseMs = 0): Promise<{ bytes: Buffer; error?: Error }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const sink: BodySink = {
      data(chunk) {
        parts.push(chunk);
        if (!pauseMs) return true;
        setTimeout(() => res.direct!.resume(), pauseMs);
        return false;
      },
      end: () => resolve({ bytes: Buffer.concat(parts) }),
      error: (error) => resolve({ bytes: Buffer.concat(parts), error }),
    };
    res.direct!.pipe(sink);
  });
}

describe("HttpBackend", () => {
  it("sends the request to api_base plus the endpoint path, with a query in api_base kept at the end", async () => {
    let seen: { url?: string; auth?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { url: req.url, auth: req.headers.authorization, body };
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    };
    const res = await send(backend(`${base}/openai/v1?api-version=2025-01-01`));
    await drainDirect(res);
    expect(seen.url).toBe("/openai/v1/chat/completions?api-version=2025-01-01");
    expect(seen.auth).toBe("Bearer sk-test");
    expect(JSON.parse(seen.body!)).toEqual({ model: "up", messages: [] });
  });

  it("sends a body given as pieces in order, with its length and not chunked", async () => {
    let seen: { length?: string; chunked?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { length: req.headers["content-length"], chunked: req.headers["transfer-encoding"], body };
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    };
    const tail = `,"messages":[{"role":"user","content":"${"é".repeat(40_000)}"}]}`;
    const pieces = [Buffer.from('{"model":'), Buffer.from('"up"'), Buffer.from(tail)];
    const b = backend(base);
    for (let attempt = 0; attempt < 2; attempt++) {
      // A failover sends the same pieces again.
      const res = await b.send({ path: "/chat/completions", body: { model: "up" }, rawBody: pieces, stream: false, cancel: new Cancel() });
      await drainDirect(res);
      expect(seen.chunked).toBeUndefined();
      expect(seen.length).toBe(String(Buffer.concat(pieces).length));
      expect(seen.body).toBe(`{"model":"up"${tail}`);
    }
  });

  it("delivers a body that arrived before anyone read it, beyond what it holds unpaused", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, "abcdefghij");
    handler = (_req, res) => res.writeHead(200, { "content-length": String(big.length) }).end(big);
    const res = await send(backend(base));
    await new Promise((r) => setTimeout(r, 100));
    const { bytes, error } = await drainDirect(res);
    expect(error).toBeUndefined();
    expect(bytes.equals(big)).toBe(true);
  });

  it("pauses the upstream while the reader is slow and still delivers every byte in order", async () => {
    let written = 0;
    let heldBack = false;
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = Buffer.alloc(64 * 1024, "x");
      const pump = () => {
        while (written < 8 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            heldBack = true;
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      pump();
    };
    const res = await send(backend(base));
    const { bytes, error } = await drainDirect(res, 1);
    expect(error).toBeUndefined();
    expect(bytes.length).toBe(8 * 1024 * 1024);
    expect(heldBack).toBe(true);
  });

  it("gives a Node stream on request, with the chunks that came first", async () => {
    handler = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    const res = await send(backend(base));
    await new Promise((r) => setTimeout(r, 50));
    const parts: Buffer[] = [];
    for await (const c of res.body) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('{"ok":true}');
  });

  it("rejects as aborted when cancelled before the headers, and closes the upstream request", async () => {
    let closed = false;
    handler = (_req, res) => res.on("close", () => (closed = true));
    const cancel = new Cancel();
    const pending = send(backend(base), cancel);
    await new Promise((r) => setTimeout(r, 50));
    cancel.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).kind).toBe("aborted");
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
  });

  it("times out a slow upstream precisely below a second", async () => {
    handler = () => undefined;
    const started = performance.now();
    const err = await send(backend(base, ", request_timeout: 0.2")).catch((e: unknown) => e);
    expect((err as UpstreamError).kind).toBe("timeout");
    expect((err as UpstreamError).message).toMatch(/timed out after 200 ms/);
    expect(performance.now() - started).toBeLessThan(600);
  });

  it("reports a body cut short to the reader as an error", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
      setTimeout(() => res.destroy(), 20);
    };
    const res = await send(backend(base));
    const { bytes, error } = await drainDirect(res);
    expect(bytes.toString()).toBe("partial");
    expect(error).toBeInstanceOf(UpstreamError);
  });

  it("gives a stream reader the bytes that came before a failure, then the failure", async () => {
    handler = (_req, res) => {
      res.writeHead(502, { "content-length": "1000" });
      res.write('{"error":{"message":"partial');
      setTimeout(() => res.destroy(), 10);
    };
    const res = await send(backend(base));
    await new Promise((r) => setTimeout(r, 100));
    const parts: Buffer[] = [];
    const err = await (async () => {
      for await (const c of res.body) parts.push(c as Buffer);
    })().catch((e: unknown) => e);
    expect(Buffer.concat(parts).toString()).toBe('{"error":{"message":"partial');
    expect(err).toBeInstanceOf(UpstreamError);
  });

  it("reports a request the HTTP client refuses to send as a protocol error, not an unreachable upstream", async () => {
    const b = backend(base);
    (b.route as { headers: Record<string, string> }).headers = { "transfer-encoding": "chunked" };
    const err = await send(b).catch((e: unknown) => e);
    expect((err as UpstreamError).kind).toBe("protocol");
    expect((err as UpstreamError).message).toMatch(/request refused/);
  });

  it("stops the upstream when the reader aborts mid-body", async () => {
    let closed = false;
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: 1\n\n");
      res.on("close", () => (closed = true));
    };
    const cancel = new Cancel();
    const res = await send(backend(base), cancel);
    const done = drainDirect(res);
    await new Promise((r) => setTimeout(r, 30));
    cancel.abort();
    const { error } = await done;
    expect((error as UpstreamError).kind).toBe("aborted");
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
  });
});

describe("Cancel", () => {
  it("calls its listeners once, not after they are removed, and makes a signal that follows it", () => {
    const cancel = new Cancel();
    const calls: string[] = [];
    const a = () => calls.push("a");
    const b = () => calls.push("b");
    cancel.onAbort(a);
    cancel.onAbort(b);
    cancel.offAbort(a);
    const signal = cancel.signal;
    expect(signal.aborted).toBe(false);
    cancel.abort();
    cancel.abort();
    expect(calls).toEqual(["b"]);
    expect(signal.aborted).toBe(true);
    expect(cancel.aborted).toBe(true);
    const late = new Cancel();
    late.abort();
    expect(late.signal.aborted).toBe(true);
  });
});

describe("anthropic_betas", () => {
  it("edits the client's anthropic-beta and the config's own, whatever the case of their names", async () => {
    const { config } = parseConfigText(
      `model_list:
  - model_name: m
    model_params:
      api_type: anthropic
      api_base: "${base}/v1"
      headers: { Anthropic-Beta: config-beta }
      anthropic_betas: { drop: ["context-management-*"], add: [gateway-beta] }
`,
      "test.yaml",
      {},
    );
    const agent = new Agent({ keepAliveTimeout: 1000 });
    agents.push(agent);
    const b = new HttpBackend(config.models.get("m")!, agent);
    const seen: Array<string | string[] | undefined> = [];
    handler = (req, res) => {
      seen.push(req.headers["anthropic-beta"]);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    };
    const headers = { "anthropic-beta": "claude-code-20250219,context-management-2025-06-27" };
    const res = await b.send({ path: "/messages", body: {}, stream: false, cancel: new Cancel(), headers });
    await drainDirect(res);
    expect(seen).toEqual(["claude-code-20250219,config-beta,gateway-beta"]);
  });
});
