// Builds the Fastify app: JSON parsing and body limits, request ids, app-key auth, one error handler
// that answers in the client's own wire format, and the routes.

import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import Fastify, {
  type ConnectionError,
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HookHandlerDoneFunction,
} from "fastify";
import type { Logger } from "pino";
import { authenticate } from "./auth.js";
import { jsonDeeperThan } from "@yallmproxy/translate";
import type { ProxyConfig } from "./config/load-config.js";
import { type ClientFormat, Errors, ProxyError, errorBodyFor } from "./errors.js";
import { sendProxyError } from "./pipeline/proxy-request.js";
import { chatCompletionsRoutes } from "./routes/chat-completions.js";
import { basicRoutes } from "./routes/basic.js";
import { responsesRoutes } from "./routes/responses.js";
import { messagesRoutes } from "./routes/messages.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import websocket from "@fastify/websocket";
import { ConfigManager } from "./config/config-manager.js";
import { adminManageRoutes } from "./routes/admin/admin-manage.js";
import { requireJsonWrite } from "./routes/admin/admin-auth.js";
import { adminRoutes } from "./routes/admin/admin-routes.js";
import { adminReplayRoutes } from "./routes/admin/replay.js";
import { LIVE_FEED_PATH, adminWebSocketRoutes } from "./routes/admin/ws.js";
import { ProxyRuntime } from "./runtime.js";
import { useResponseSchemas } from "./http-schema.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Wire format of errors on this route. */
    clientFormat?: ClientFormat;
    /** Whether app keys are checked on this route. */
    auth?: boolean;
  }
  interface FastifyRequest {
    caller?: import("./auth.js").Caller;
    /** Set once the request's log line is written (proxied requests write their own). */
    requestLogged: boolean;
    /** The body's bytes as the client sent them (JSON bodies), for relaying them unchanged. */
    rawBody?: Buffer;
  }
  interface FastifyInstance {
    runtime: ProxyRuntime;
    configManager: import("./config/config-manager.js").ConfigManager;
  }
}

export interface BuildOptions {
  config: ProxyConfig;
  logger?: Logger | false;
  /** Follow edits of the config file on disk (the server does; tests usually do not). */
  watchConfig?: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const MAX_PARAM_LENGTH = 1024;

/**
 * A UUID version 7: the time in milliseconds, then random bits. Request ids key the trace table, and
 * ids that grow with time are appended to its index instead of landing on a random page each.
 */
export function timeOrderedId(now = Date.now()): string {
  const random = randomUUID();
  const time = now.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const runtime = await ProxyRuntime.create(opts.config, (task, err) => opts.logger && opts.logger.warn({ task, err }, "background task failed"));
  const app: FastifyInstance = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger as unknown as FastifyBaseLogger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.config.server.bodyLimitBytes,
    // Native Responses upstreams may send response ids well past Fastify's default of 100 characters.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A client has this long to send its request; the answer (a stream) may take as long as it needs.
    requestTimeout: opts.config.server.requestTimeoutMs,
    http: {
      // Nothing here reads Host; a request without one is served rather than refused with an empty body.
      requireHostHeader: false,
      headersTimeout: opts.config.server.headersTimeoutMs,
      // Node enforces both timeouts on this tick (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(opts.config.server.headersTimeoutMs / 4))),
    },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : timeOrderedId();
    },
    ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: false,
    // Fastify's own refusals (a URL that does not decode, a path parameter over its length) and
    // Node's (a header block too large, bytes that are not HTTP) answer in the documented shape too.
    frameworkErrors: (error, request, reply) => {
      const err = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? uriTooLong() : new ProxyError(400, `The request URL is not valid: ${error.message}`, { code: "invalid_url" });
      logRefusal(request, err);
      sendProxyError(reply, formatOfUrl(request.url), err);
    },
    clientErrorHandler: (error, socket) => answerClientError(app, error, socket),
    // One logger for all requests: a child per request (for its id) costs more than the request line,
    // which names the id itself.
    childLoggerFactory: (logger) => logger,
    forceCloseConnections: true,
  });
  app.decorate("runtime", runtime);
  app.decorateRequest("requestLogged", false);
  useResponseSchemas(app, process.env.YALLMPROXY_CHECK_RESPONSES === "1");
  app.addHook("onClose", async () => runtime.close());

  // Plain JSON.parse is the fastest parser; the bodies are never merged into prototypes. Nesting is
  // bounded first, so every later walk over a body may recurse. The bytes are kept: a same-format
  // upstream gets them as they came when only the model name changes.
  const maxDepth = opts.config.server.maxJsonDepth;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, body, done) => {
    const raw = body as Buffer;
    if (raw.length === 0) {
      // Routes that take no body (DELETE, cancel, most admin calls) accept an empty one with any content type.
      if (req.routeOptions.schema?.body === undefined) return done(null, undefined);
      return done(Errors.invalidJson("empty body") as unknown as FastifyError, undefined);
    }
    const text = raw.toString("utf8");
    if (text.length > maxDepth && jsonDeeperThan(text, maxDepth)) return done(Errors.jsonTooDeep(maxDepth) as unknown as FastifyError, undefined);
    try {
      const parsed: unknown = JSON.parse(text);
      req.rawBody = raw;
      done(null, parsed);
    } catch (err) {
      done(Errors.invalidJson((err as Error).message) as unknown as FastifyError, undefined);
    }
  });

  // Every answer made through `reply.send` carries the request id; relayed answers write it themselves.
  app.addHook("onSend", (request, reply, payload, done) => {
    reply.header("x-request-id", request.id);
    done(null, payload);
  });

  // Added to the routes that check app keys only, in callback style: no promise per request.
  const checkKey = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const internal = runtime.internalCaller(request.headers);
    if (internal) {
      request.caller = internal;
      return done();
    }
    const caller = authenticate(runtime.config, request.headers);
    if (caller instanceof ProxyError) {
      logRefusal(request, caller);
      return sendProxyError(reply, formatOf(request), caller);
    }
    request.caller = caller;
    done();
  };
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/admin/")) {
      const own = route.onRequest;
      route.onRequest = own === undefined ? [requireJsonWrite] : [requireJsonWrite, ...(Array.isArray(own) ? own : [own])];
      return;
    }
    if (!route.config?.auth) return;
    const own = route.onRequest;
    route.onRequest = own === undefined ? [checkKey] : [checkKey, ...(Array.isArray(own) ? own : [own])];
  });

  app.setErrorHandler((error: FastifyError | ProxyError, request, reply) => {
    const format = formatOf(request);
    const err = toProxyError(error, opts.config.server.bodyLimitBytes);
    if (err.status >= 500 && !(error instanceof ProxyError)) {
      request.log.error({ reqId: request.id, err: error }, "unhandled error");
    }
    logRefusal(request, err);
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.end();
      return;
    }
    sendProxyError(reply, format, err);
  });

  app.setNotFoundHandler((request, reply) => {
    const err = Errors.notFound(request.method, pathOf(request.url));
    logRefusal(request, err);
    sendProxyError(reply, formatOfUrl(request.url), err);
  });

  await app.register(basicRoutes);
  await app.register(chatCompletionsRoutes);
  await app.register(responsesRoutes);
  await app.register(messagesRoutes);

  const log = opts.logger || { info: () => {}, warn: () => {} };
  const configManager = new ConfigManager(runtime, runtime.database, runtime.bus, log, opts.config.source.vars);
  await configManager.recordStartup().catch((err: unknown) => log.warn({ err }, "could not record the startup config version"));
  if (opts.watchConfig) configManager.watchFile();
  app.addHook("onClose", async () => configManager.close());
  app.decorate("configManager", configManager);
  // The WebSocket plugin hooks every request of its scope, so it gets a scope of its own.
  await app.register(async (scope) => {
    await scope.register(websocket, {
      options: { maxPayload: 64 * 1024 },
      // A client breaking the WebSocket protocol is the client's problem: one warning, no stack.
      errorHandler: (error, socket, request) => {
        request.log.warn({ reqId: request.id, code: (error as { code?: unknown }).code, reason: error.message }, "websocket error");
        socket.terminate();
      },
    });
    await scope.register(adminWebSocketRoutes);
  });
  answerOtherUpgradesAsHttp(app, LIVE_FEED_PATH);
  app.server.on("connect", (_req: IncomingMessage, socket: Duplex) => answerOnSocket(socket, 405, new ProxyError(405, "This proxy does not tunnel connections (CONNECT).", { code: "method_not_allowed" }), "chat"));
  await app.register(adminRoutes, { config: configManager });
  await app.register(adminManageRoutes, { config: configManager });
  await app.register(adminReplayRoutes);
  await app.register(dashboardRoutes);
  guardConnections(app.server, opts.config.server.maxConnectionsPerIp, opts.config.server.headersTimeoutMs);
  return app;
}

/**
 * At most `max` open connections per client address (0: no cap): a connection over the cap gets a
 * 429 in OpenAI's error shape and is closed before any of its bytes are read as a request. A
 * connection that sends nothing at all within the header timeout is closed too (Node's own
 * timeouts start only with the first byte).
 */
function guardConnections(server: FastifyInstance["server"], max: number, firstByteMs: number): void {
  const open = new Map<string, number>();
  const accept = server.listeners("connection") as Array<(socket: Socket) => void>;
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    const count = open.get(address) ?? 0;
    if (max > 0 && count >= max) {
      const body = JSON.stringify({ error: { message: `Too many connections from this address (at most ${max} at once).`, type: "rate_limit_error", param: null, code: "too_many_connections" } });
      socket.on("error", () => undefined);
      socket.resume();
      socket.end(`HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n${body}`);
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
 * its body left unread on the socket. Only the live feed is a WebSocket; any other such request (`curl
 * --http2` asks for h2c) is served as the plain HTTP/1.1 request it also is: its header block, without
 * the upgrade, is put back in front of the unread bytes and the socket handed back to the HTTP server.
 */
function answerOtherUpgradesAsHttp(app: FastifyInstance, webSocketPath: string): void {
  const server = app.server;
  const webSocket = server.listeners("upgrade") as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  // The HTTP server's own connection handling, without the per-address guard added later: the socket
  // handed back was counted when it connected.
  const accept = server.listeners("connection") as Array<(socket: Duplex) => void>;
  server.removeAllListeners("upgrade");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req.url ?? "") === webSocketPath) {
      for (const listener of webSocket) listener.call(server, req, socket, head);
      return;
    }
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

function formatOf(request: FastifyRequest): ClientFormat {
  return request.routeOptions.config.clientFormat ?? "chat";
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** The wire format of errors for a request not (yet) matched to a route. */
function formatOfUrl(url: string): ClientFormat {
  return url.startsWith("/v1/messages") ? "messages" : "chat";
}

function uriTooLong(): ProxyError {
  return new ProxyError(414, "The request URL is too long.", { code: "uri_too_long" });
}

/** The log line of a request refused before (or without) the proxy's own request line; never the query (it may hold a token). */
function logRefusal(request: FastifyRequest, err: ProxyError): void {
  if (request.requestLogged) return;
  request.requestLogged = true;
  request.log.info({ reqId: request.id, method: request.method, path: pathOf(request.url), status: err.status, code: err.code }, "request");
}

const REASONS: Record<number, string> = { 400: "Bad Request", 405: "Method Not Allowed", 408: "Request Timeout", 414: "URI Too Long", 431: "Request Header Fields Too Large" };

/**
 * Node's refusals of a request it could not parse, in the documented shape (Anthropic's when the
 * request line names `/v1/messages`). Only the status and code are logged: the bytes may hold keys.
 */
function answerClientError(app: { log: FastifyBaseLogger }, err: ConnectionError, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const packet = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined;
  let status = 400;
  let proxyErr: ProxyError;
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ERR_HTTP_HEADERS_TIMEOUT") {
    status = 408;
    proxyErr = new ProxyError(408, "The request did not arrive in time.", { code: "request_timeout" });
  } else if (err.code === "HPE_HEADER_OVERFLOW") {
    // A request line with no end in sight is a URL too long; otherwise the headers are.
    const firstLine = packet ? packet.indexOf("\r\n") : -1;
    const inRequestLine = packet !== undefined && /^[A-Z]+ \//.test(packet.toString("latin1", 0, 16)) && (firstLine < 0 || firstLine > 8192);
    status = inRequestLine ? 414 : 431;
    proxyErr = inRequestLine ? uriTooLong() : new ProxyError(431, "The request's headers are too large.", { code: "request_headers_too_large" });
  } else {
    proxyErr = new ProxyError(400, `The request is not valid HTTP (${err.code ?? "parse error"}).`, { code: "invalid_http" });
  }
  // A request whose headers were read (its body did not arrive in time) has its route's format.
  const url = (socket as Duplex & { _httpMessage?: { req?: { url?: string } } })._httpMessage?.req?.url;
  const format = url !== undefined ? formatOfUrl(url) : packet && packet.toString("latin1", 0, 20).startsWith("POST /v1/messages") ? "messages" : "chat";
  app.log.info({ status, code: err.code }, "client error");
  answerOnSocket(socket, status, proxyErr, format);
}

/** Writes one error answer on a socket no HTTP response object owns, then closes it. */
function answerOnSocket(socket: Duplex, status: number, err: ProxyError, format: ClientFormat): void {
  // A response already under way on this connection (keep-alive) must not get bytes in its middle.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBodyFor(format, err));
  socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

function toProxyError(error: FastifyError | ProxyError | Error, bodyLimit: number): ProxyError {
  if (error instanceof ProxyError) return error;
  const fe = error as FastifyError & { validation?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown>; keyword: string }> };
  if (fe.validation && fe.validation.length > 0) {
    const v = fe.validation[0]!;
    if (v.keyword === "required" && typeof v.params?.missingProperty === "string") {
      const param = joinPath(v.instancePath, v.params.missingProperty);
      return Errors.invalidField(param, `Missing required parameter: '${param}'.`);
    }
    if (v.keyword === "additionalProperties" && typeof v.params?.additionalProperty === "string") {
      const param = joinPath(v.instancePath, v.params.additionalProperty);
      return Errors.invalidField(param, `Unrecognized request argument supplied: '${param}'.`);
    }
    const param = joinPath(v.instancePath);
    return Errors.invalidField(param, `Invalid value for '${param}': ${v.message ?? "invalid"}.`);
  }
  if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") return Errors.bodyTooLarge(bodyLimit);
  if (fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || fe.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return Errors.invalidJson(fe.message);
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ProxyError(fe.statusCode, fe.message);
  }
  return Errors.internal();
}

/** `/messages/0/role` → `messages[0].role`. */
function joinPath(instancePath: string, leaf?: string): string {
  const segs = instancePath.split("/").filter(Boolean);
  if (leaf) segs.push(leaf);
  let out = "";
  for (const s of segs) out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s;
  return out || "body";
}
