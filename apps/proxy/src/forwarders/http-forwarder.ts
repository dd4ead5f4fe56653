// The HTTP forwarder (`http_forwarder_settings`): a reverse proxy for any method and path, over HTTP or
// HTTPS, to one target. Bodies stream both ways through undici without being held (an SSE answer
// reaches the client event by event; a slow client slows the target's reads), hop-by-hop headers
// stop here, and the client's Host goes on unless `preserve_host: false`.

import { readFileSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { pipeline } from "node:stream";
import { rootCertificates } from "node:tls";
import { Pool } from "undici";
import type { HttpForwarderSettings } from "../config/forwarder-config.js";
import { endToEndHeaders, endToEndResponseHeaders } from "./forward-headers.js";
import type { ForwarderLog, RunningForwarder } from "./forwarder-types.js";
import { tunnelUpgrade } from "./http-upgrade.js";

const HEADERS_TIMEOUT_MS = 20_000;

/** Reads the certificate files and starts listening; rejects when a file or the port cannot be had. */
export async function startHttpForwarder(settings: HttpForwarderSettings, log: ForwarderLog): Promise<RunningForwarder> {
  const ca = settings.targetCaFile ? [...rootCertificates, readFileSync(settings.targetCaFile, "utf8")] : undefined;
  const pool = new Pool(settings.targetOrigin, {
    connections: settings.maxConnections,
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
    keepAliveTimeout: 30_000,
    connect: { timeout: 10_000, ...(ca ? { ca } : {}) },
  });
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    forward(req, res, pool, settings, log).catch((err: unknown) => {
      log.warn({ err: (err as Error).message }, "http forwarder: request failed");
      res.destroy();
    });
  };
  const options = { headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: 5000 };
  const server: Server = settings.tls
    ? createHttpsServer({ ...options, cert: readFileSync(settings.tls.certFile), key: readFileSync(settings.tls.keyFile) }, handler)
    : createHttpServer(options, handler);
  server.maxConnections = settings.maxConnections;
  // A client silent this long (reading nothing, sending nothing) is cut.
  server.timeout = settings.timeoutMs;
  const upgraded = new Set<Socket>();
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => tunnelUpgrade(req, socket, head, { settings, ca, open: upgraded, log }));
  server.on("connect", (_req: IncomingMessage, socket: Socket) =>
    socket.end("HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
  );
  server.on("clientError", (err: Error, socket: Socket) => {
    log.debug({ err: err.message }, "http forwarder: bad request from client");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.listenPort, settings.listenHost, () => {
      server.off("error", reject);
      server.on("error", (err) => log.warn({ err: err.message }, "http forwarder: listener error"));
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    kind: "http",
    port: address.port,
    url: `${settings.tls ? "https" : "http"}://${address.address}:${address.port}`,
    close: async (graceMs) => {
      await closeHttpWithGrace(server, upgraded, graceMs);
      await pool.destroy();
    },
  };
}

async function forward(req: IncomingMessage, res: ServerResponse, pool: Pool, settings: HttpForwarderSettings, log: ForwarderLog): Promise<void> {
  const path = req.url ?? "";
  if (!path.startsWith("/")) return answer(res, 400, "Only origin-form request targets are forwarded");
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const started = Date.now();
  const hasBody = req.headers["content-length"] !== undefined ? req.headers["content-length"] !== "0" : req.headers["transfer-encoding"] !== undefined;
  let upstream;
  try {
    upstream = await pool.request({
      path,
      method: req.method ?? "GET",
      headers: endToEndHeaders(req.rawHeaders, { keepHost: settings.preserveHost }),
      body: hasBody ? req : null,
      signal: aborted.signal,
    });
  } catch (err) {
    if (aborted.signal.aborted) return;
    const code = (err as { code?: string }).code;
    log.warn({ method: req.method, path: pathOnly(path), target: settings.targetOrigin, code, err: (err as Error).message }, "http forwarder: target failed");
    if (code === "UND_ERR_HEADERS_TIMEOUT") return answer(res, 504, "Upstream timed out");
    return answer(res, 502, "Upstream connection failed");
  }
  const headers = endToEndResponseHeaders(upstream.headers);
  // As yaLLMproxy: a stream's connection is not reused, so a client cannot race the stream's end.
  if (
    String(headers["content-type"] ?? "")
      .toLowerCase()
      .includes("text/event-stream")
  )
    headers.connection = "close";
  res.writeHead(upstream.statusCode, headers);
  res.flushHeaders();
  pipeline(upstream.body, res, (err) => {
    const fields = { method: req.method, path: pathOnly(path), status: upstream.statusCode, ms: Date.now() - started };
    if (err && !aborted.signal.aborted) log.warn({ ...fields, err: err.message }, "http forwarder: answer broke off");
    else log.debug(fields, "http forwarder: request forwarded");
  });
}

/** The path without its query, which may carry secrets. */
function pathOnly(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Stops accepting; requests in flight get `graceMs` to finish (idle connections closed as they appear), then every connection is cut. */
async function closeHttpWithGrace(server: Server, upgraded: Set<Socket>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 200);
  const deadline = setTimeout(() => {
    server.closeAllConnections();
    for (const socket of upgraded) socket.destroy();
  }, graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
