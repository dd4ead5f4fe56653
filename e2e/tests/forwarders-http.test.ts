// The HTTP forwarder (yaLLMproxy's `http_forwarder_settings`), in the proxy's own process, against
// loopback upstreams: any method and path, a POST body byte for byte, hop-by-hop headers stopped and
// Host kept (or not), an SSE answer passed on event by event, a large answer to a stalled client
// with the forwarder's memory flat, a WebSocket tunnelled, HTTPS on both
// sides with a certificate made by openssl, HTTP_FORWARD_* overrides, and a SIGTERM mid-stream.

import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { type IncomingMessage, type RequestOptions, type Server, type ServerResponse, createServer, request as httpRequest } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { freePort, makeCertificate, proxyWithForwarders, refused, rssOf } from "../lib/forwarding.js";
import { type ProxyProcess, sleep } from "../lib/harness.js";

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  headers: IncomingMessage["headers"];
  length: number;
  sha256: string;
}

/** `/sse` sends one event, waits for `release()`, sends a second; `/hang` streams one event and never ends; anything else answers what it received. */
function upstreamHandler(gate: { release: () => void; wait: Promise<void> }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/v1/sse" || req.url === "/v1/hang") {
      res.writeHead(200, { "content-type": "text/event-stream", "x-upstream": "yes" });
      res.write("data: one\n\n");
      if (req.url === "/v1/sse") void gate.wait.then(() => res.end("data: two\n\n"));
      return;
    }
    const hash = createHash("sha256");
    let length = 0;
    req.on("data", (c: Buffer) => {
      hash.update(c);
      length += c.length;
    });
    req.on("end", () => {
      const seen: Seen = { method: req.method ?? "", url: req.url ?? "", host: req.headers.host, headers: req.headers, length, sha256: hash.digest("hex") };
      res.writeHead(201, {
        "content-type": "application/json",
        "x-upstream": "yes",
        "keep-alive": "timeout=9",
        connection: "keep-alive, x-drop-me",
        "x-drop-me": "1",
      });
      res.end(JSON.stringify(seen));
    });
  };
}

function newGate() {
  let release = () => {};
  const wait = new Promise<void>((r) => (release = r));
  return { release, wait };
}

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}

function proxy(yaml: string, env: Record<string, string> = {}): Promise<ProxyProcess> {
  return proxyWithForwarders(yaml, env, (kill) => cleanups.push(kill));
}

interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

function send(opts: RequestOptions & { body?: Buffer; ca?: string; tls?: boolean }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const make = opts.tls ? httpsRequest : httpRequest;
    const req = make({ host: "127.0.0.1", ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

const section = (port: number, target: number, more = "") =>
  `http_forwarder_settings:\n  enabled: true\n  listen: { host: 127.0.0.1, port: ${port} }\n  target: { scheme: http, host: 127.0.0.1, port: ${target} }\n${more}`;

describe("HTTP forwarder", () => {
  it("forwards any method and path with the body byte for byte, drops hop-by-hop headers, keeps Host, streams SSE event by event", async () => {
    const gate = newGate();
    const target = await listen(createServer(upstreamHandler(gate)));
    const port = await freePort();
    await proxy(section(port, target));
    const body = randomBytes(5 * 1024 * 1024);
    const headers = { host: "public.test", connection: "keep-alive, x-secret", "x-secret": "s", "x-keep": "k", "content-type": "application/octet-stream" };
    const posted = await send({ port, method: "POST", path: "/v1/some/path?x=1&y=%2F", headers, body });
    expect(posted.status).toBe(201);
    const seen = JSON.parse(posted.body.toString()) as Seen;
    expect(seen).toMatchObject({
      method: "POST",
      url: "/v1/some/path?x=1&y=%2F",
      host: "public.test",
      length: body.length,
      sha256: createHash("sha256").update(body).digest("hex"),
    });
    expect(seen.headers["x-keep"]).toBe("k");
    expect(seen.headers["x-secret"]).toBeUndefined();
    expect(posted.headers["x-upstream"]).toBe("yes");
    expect(posted.headers["x-drop-me"]).toBeUndefined();
    expect(posted.headers["keep-alive"]).not.toBe("timeout=9");

    const patched = await send({ port, method: "PATCH", path: "/anything" });
    expect(JSON.parse(patched.body.toString())).toMatchObject({ method: "PATCH", url: "/anything", length: 0 });

    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest({ host: "127.0.0.1", port, path: "/v1/sse" }, resolve).on("error", reject).end(),
    );
    expect(res.headers["content-type"]).toBe("text/event-stream");
    expect(res.headers.connection).toBe("close");
    const [first] = (await once(res, "data")) as [Buffer];
    // The first event arrived while the upstream still holds back the second.
    expect(first.toString()).toBe("data: one\n\n");
    const rest: Buffer[] = [];
    res.on("data", (c: Buffer) => rest.push(c));
    gate.release();
    await once(res, "end");
    expect(Buffer.concat(rest).toString()).toBe("data: two\n\n");
  });

  it("holds the target back while the client stalls: 96 MB answer through, the forwarder's memory flat", async () => {
    const size = 96 * 1024 * 1024;
    let written = 0;
    const target = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size) });
        const chunk = Buffer.alloc(65536, 7);
        const more = () => {
          while (written < size) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", more);
          }
          res.end();
        };
        more();
      }),
    );
    const port = await freePort();
    const p = await proxy(section(port, target));
    const pid = p.child.pid as number;
    const rssBefore = rssOf(pid);
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest({ host: "127.0.0.1", port, path: "/v1/big" }, resolve).on("error", reject).end(),
    );
    res.pause();
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      peak = Math.max(peak, rssOf(pid) - rssBefore);
    }
    expect(written).toBeLessThan(size / 2);
    expect(peak).toBeLessThan(40 * 1024 * 1024);
    let received = 0;
    res.on("data", (c: Buffer) => (received += c.length));
    res.resume();
    await once(res, "end");
    expect(received).toBe(size);
  }, 90_000);

  it("tunnels a WebSocket upgrade both ways", async () => {
    const server = createServer((_req, res) => res.end());
    const wss = new WebSocketServer({ server });
    wss.on("connection", (ws, req) => ws.on("message", (m) => ws.send(`${req.url ?? ""} ${String(m)}`)));
    const target = await listen(server);
    const port = await freePort();
    await proxy(section(port, target));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/responses?x=1`);
    await once(ws, "open");
    ws.send("hello");
    const [msg] = (await once(ws, "message")) as [Buffer];
    expect(msg.toString()).toBe("/v1/responses?x=1 hello");
    ws.close();
    wss.close();
  });

  it("answers 502 when the target does not answer, and keeps serving", async () => {
    const port = await freePort();
    // A port just freed can be handed out again at once: the listener must not be its own target.
    let dead = await freePort();
    while (dead === port) dead = await freePort();
    const p = await proxy(section(port, dead));
    const res = await send({ port, path: "/v1/models" });
    expect(res.status).toBe(502);
    expect(res.body.toString()).toBe("Upstream connection failed");
    expect((await fetch(`${p.url}/health`)).ok).toBe(true);
  });

  it("serves HTTPS with a certificate made by openssl, to an https target verified against target.ca_file", async () => {
    const dir = mkdtempSync(`${tmpdir()}/yallmp-tls-`);
    const { cert, key, certPem } = makeCertificate(dir);
    const target = await listen(createHttpsServer({ cert: certPem, key: readFileSync(key) }, upstreamHandler(newGate())));
    const port = await freePort();
    await proxy(
      `http_forwarder_settings:\n  enabled: true\n  preserve_host: false\n  listen: { host: 127.0.0.1, port: ${port} }\n  target: { scheme: https, host: localhost, port: ${target}, ca_file: ${cert} }\n  ssl: { enabled: true, cert_file: ${cert}, key_file: ${key} }\n`,
    );
    const body = Buffer.from(JSON.stringify({ model: "m", messages: [] }));
    const res = await send({
      tls: true,
      ca: certPem,
      port,
      method: "POST",
      path: "/v1/chat/completions",
      body,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body.toString())).toMatchObject({ url: "/v1/chat/completions", host: `localhost:${target}`, length: body.length });
    // Plain HTTP to the TLS port is not answered as HTTP.
    await expect(send({ port, path: "/v1/models" })).rejects.toThrow();
  });

  it("HTTP_FORWARD_* variables override the file: TLS, target, Host, and an untrusted target certificate is refused (502)", async () => {
    const dir = mkdtempSync(`${tmpdir()}/yallmp-tls-`);
    const { cert, key, certPem } = makeCertificate(dir);
    const plain = await listen(createServer(upstreamHandler(newGate())));
    const tlsTarget = await listen(createHttpsServer({ cert: certPem, key: readFileSync(key) }, upstreamHandler(newGate())));
    const [filePort, envPort] = [await freePort(), await freePort()];
    const env = { HTTP_FORWARD_ENABLED: "yes", HTTP_FORWARD_LISTEN_PORT: String(envPort), HTTP_FORWARD_TARGET_HOST: "127.0.0.1" };
    await proxy(`http_forwarder_settings:\n  listen: { host: 127.0.0.1, port: ${filePort} }\n  target: { port: 1 }\n`, {
      ...env,
      HTTP_FORWARD_TARGET_PORT: String(plain),
      HTTP_FORWARD_PRESERVE_HOST: "false",
    });
    expect(await refused(filePort)).toBe(true);
    const res = await send({ port: envPort, path: "/v1/x", headers: { host: "public.test" } });
    expect(JSON.parse(res.body.toString())).toMatchObject({ host: `127.0.0.1:${plain}` });
    await cleanups.pop()?.();

    await proxy("", {
      ...env,
      HTTP_FORWARD_TARGET_SCHEME: "https",
      HTTP_FORWARD_TARGET_PORT: String(tlsTarget),
      HTTP_FORWARD_SSL_ENABLED: "true",
      HTTP_FORWARD_SSL_CERT: cert,
      HTTP_FORWARD_SSL_KEY: key,
    });
    const refusedByTls = await send({ tls: true, ca: certPem, port: envPort, path: "/v1/x" });
    expect(refusedByTls.status).toBe(502);
  });

  it("on SIGTERM stops accepting at once and ends a stream still open after the grace period", async () => {
    const target = await listen(createServer(upstreamHandler(newGate())));
    const port = await freePort();
    const p = await proxy(`proxy_settings: { server: { shutdown_grace_seconds: 1 } }\n${section(port, target)}`);
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest({ host: "127.0.0.1", port, path: "/v1/hang" }, resolve).on("error", reject).end(),
    );
    await once(res, "data");
    const ended = new Promise<void>((resolve) => res.on("close", () => resolve()));
    res.on("error", () => {});
    const exited = once(p.child, "exit");
    const t0 = Date.now();
    p.child.kill("SIGTERM");
    await sleep(300);
    expect(await refused(port)).toBe(true);
    await ended;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(6000);
  });
});
