// The HTTP server's sockets: a cap of connections per address, upgrades other than the live feed
// served as plain HTTP, and Node's own refusals of bytes that are not a request, in the documented
// error shapes.

import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ConnectionError, FastifyBaseLogger, FastifyInstance } from "fastify";
import { type ClientFormat, Errors, type ProxyError, errorBodyFor } from "../errors.js";
import { formatOfUrl, pathOf, uriTooLong } from "./refusals.js";

/**
 * At most `max` open connections per client address (0: no cap): a connection over the cap gets a
 * 429 in OpenAI's error shape and is closed before any of its bytes are read as a request. A
 * connection that sends nothing at all within the header timeout is closed too (Node's own
 * timeouts start only with the first byte).
 */
export function guardConnections(server: FastifyInstance["server"], max: number, firstByteMs: number): void {
  const open = new Map<string, number>();
  const accept = server.listeners("connection") as Array<(socket: Socket) => void>;
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    const count = open.get(address) ?? 0;
    if (max > 0 && count >= max) {
      const body = JSON.stringify({
        error: {
          message: `Too many connections from this address (at most ${max} at once).`,
          type: "rate_limit_error",
          param: null,
          code: "too_many_connections",
        },
      });
      socket.on("error", () => undefined);
      socket.resume();
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n${body}`,
      );
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    open.set(address, count + 1);
    // bytesRead counts at the handle: the HTTP parser reads there, no `data` event is emitted.
    const silent = setTimeout(() => socket.bytesRead === 0 && socket.destroy(), firstByteMs).unref();
    socket.once("close", () => {
      clearTimeout(silent);
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
    for (const listener of accept) listener.call(server, socket);
  });
}

/**
 * Node hands every request with an `Upgrade` header to the `upgrade` listeners once there is one, with
 * its body left unread on the socket. The live feed and the paths in `own` (Responses WebSocket mode)
 * are WebSockets; any other such request (`curl
 * --http2` asks for h2c) is served as the plain HTTP/1.1 request it also is: its header block, without
 * the upgrade, is put back in front of the unread bytes and the socket handed back to the HTTP server.
 */
export function answerOtherUpgradesAsHttp(
  app: FastifyInstance,
  webSocketPath: string,
  own: Record<string, (req: IncomingMessage, socket: Duplex, head: Buffer) => void> = {},
): void {
  const server = app.server;
  const webSocket = server.listeners("upgrade") as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  // The HTTP server's own connection handling, without the per-address guard added later: the socket
  // handed back was counted when it connected.
  const accept = server.listeners("connection") as Array<(socket: Duplex) => void>;
  server.removeAllListeners("upgrade");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = pathOf(req.url ?? "");
    if (path === webSocketPath) {
      for (const listener of webSocket) listener.call(server, req, socket, head);
      return;
    }
    const handler = Object.hasOwn(own, path) ? own[path] : undefined;
    if (handler && req.method === "GET" && req.headers.upgrade?.toLowerCase() === "websocket") return handler(req, socket, head);
    if (head.length > 0) socket.unshift(head);
    socket.unshift(Buffer.from(headerBlockWithoutUpgrade(req), "latin1"));
    for (const listener of accept) listener.call(server, socket);
  });
}

const UPGRADE_HEADERS = new Set(["upgrade", "http2-settings"]);

/** The request line and headers as received, minus `Upgrade`, `HTTP2-Settings` and their `Connection` tokens. */
function headerBlockWithoutUpgrade(req: IncomingMessage): string {
  let out = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (UPGRADE_HEADERS.has(lower)) continue;
    let value = raw[i + 1]!;
    if (lower === "connection") {
      value = value
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t && !UPGRADE_HEADERS.has(t.toLowerCase()))
        .join(", ");
      if (!value) continue;
    }
    out += `${name}: ${value}\r\n`;
  }
  return `${out}\r\n`;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/**
 * Node's refusals of a request it could not parse, in the documented shape (Anthropic's when the
 * request line names `/v1/messages`). Only the status and code are logged: the bytes may hold keys.
 */
export function answerClientError(app: { log: FastifyBaseLogger }, err: ConnectionError, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const packet = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined;
  let status = 400;
  let proxyErr: ProxyError;
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ERR_HTTP_HEADERS_TIMEOUT") {
    status = 408;
    proxyErr = Errors.requestTimeout();
  } else if (err.code === "HPE_HEADER_OVERFLOW") {
    // A request line with no end in sight is a URL too long; otherwise the headers are.
    const firstLine = packet ? packet.indexOf("\r\n") : -1;
    const inRequestLine = packet !== undefined && /^[A-Z]+ \//.test(packet.toString("latin1", 0, 16)) && (firstLine < 0 || firstLine > 8192);
    status = inRequestLine ? 414 : 431;
    proxyErr = inRequestLine ? uriTooLong() : Errors.headersTooLarge();
  } else {
    proxyErr = Errors.invalidHttp(err.code ?? "parse error");
  }
  // A request whose headers were read (its body did not arrive in time) has its route's format.
  const url = (socket as Duplex & { _httpMessage?: { req?: { url?: string } } })._httpMessage?.req?.url;
  const format = url !== undefined ? formatOfUrl(url) : packet && packet.toString("latin1", 0, 20).startsWith("POST /v1/messages") ? "messages" : "chat";
  app.log.info({ status, code: err.code }, "client error");
  answerOnSocket(socket, status, proxyErr, format);
}

/** Writes one error answer on a socket no HTTP response object owns, then closes it. */
export function answerOnSocket(socket: Duplex, status: number, err: ProxyError, format: ClientFormat): void {
  // A response already under way on this connection (keep-alive) must not get bytes in its middle.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBodyFor(format, err));
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
