// Builds the Fastify app: JSON parsing and body limits, request ids, app-key auth, one error handler
// that answers in the client's own wire format, and the routes.

import { randomUUID } from "node:crypto";
import { type IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import Fastify, {
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
import { type ClientFormat, Errors, ProxyError } from "./errors.js";
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

declare module "fastify" {
  interface FastifyContextConfig {
    /** Wire format of errors on this route. */
    clientFormat?: ClientFormat;
    /** Whether app keys are checked on this route. */
    auth?: boolean;
  }
  interface FastifyRequest {
    caller?: import("./auth.js").Caller;
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

export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const runtime = await ProxyRuntime.create(opts.config, (task, err) => opts.logger && opts.logger.warn({ task, err }, "background task failed"));
  const app: FastifyInstance = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger as unknown as FastifyBaseLogger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.config.server.bodyLimitBytes,
    // A client has this long to send its request; the answer (a stream) may take as long as it needs.
    requestTimeout: opts.config.server.requestTimeoutMs,
    http: {
      headersTimeout: opts.config.server.headersTimeoutMs,
      // Node enforces both timeouts on this tick (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(opts.config.server.headersTimeoutMs / 4))),
    },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: false,
    // One logger for all requests: a child per request (for its id) costs more than the request line,
    // which names the id itself.
    childLoggerFactory: (logger) => logger,
    forceCloseConnections: true,
  });
  app.decorate("runtime", runtime);
  app.addHook("onClose", async () => runtime.close());

  // Plain JSON.parse is the fastest parser; the bodies are never merged into prototypes. Nesting is
  // bounded first, so every later walk over a body may recurse.
  const maxDepth = opts.config.server.maxJsonDepth;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(Errors.invalidJson("empty body") as unknown as FastifyError, undefined);
    if (text.length > maxDepth && jsonDeeperThan(text, maxDepth)) return done(Errors.jsonTooDeep(maxDepth) as unknown as FastifyError, undefined);
    try {
      done(null, JSON.parse(text));
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
    if (caller instanceof ProxyError) return sendProxyError(reply, formatOf(request), caller);
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
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.end();
      return;
    }
    sendProxyError(reply, format, err);
  });

  app.setNotFoundHandler((request, reply) => {
    const format: ClientFormat = request.url.startsWith("/v1/messages") ? "messages" : "chat";
    sendProxyError(reply, format, Errors.notFound(request.method, request.url.split("?")[0] ?? ""));
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
    await scope.register(websocket, { options: { maxPayload: 64 * 1024 } });
    await scope.register(adminWebSocketRoutes);
  });
  answerOtherUpgradesAsHttp(app, LIVE_FEED_PATH);
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
 * Node hands every request with an `Upgrade` header to the `upgrade` listeners once there is one.
 * Only the live feed is a WebSocket; any other such request is answered as plain HTTP, then closed.
 */
function answerOtherUpgradesAsHttp(app: FastifyInstance, webSocketPath: string): void {
  const server = app.server;
  const webSocket = server.listeners("upgrade") as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  server.removeAllListeners("upgrade");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? "").split("?")[0] === webSocketPath) {
      for (const listener of webSocket) listener.call(server, req, socket, head);
      return;
    }
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.once("finish", () => socket.end());
    app.routing(req, res);
  });
}

function formatOf(request: FastifyRequest): ClientFormat {
  return request.routeOptions.config.clientFormat ?? "chat";
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
