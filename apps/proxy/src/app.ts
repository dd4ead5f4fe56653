// Builds the Fastify app: JSON parsing and body limits, request ids, app-key auth, one error handler
// that answers in the client's own wire format, and the routes.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import websocket from "@fastify/websocket";
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
import { timeOrderedId } from "./http/request-id.js";
import { ConfigManager } from "./config/config-manager.js";
import type { ProxyConfig } from "./config/load-config.js";
import { type ClientFormat, Errors, ProxyError, sendProxyError } from "./errors.js";
import { answerClientError, answerOnSocket, answerOtherUpgradesAsHttp, guardConnections } from "./http/connections.js";
import { formatOf, formatOfUrl, logRefusal, pathOf, toProxyError, uriTooLong } from "./http/refusals.js";
import { useResponseSchemas } from "./http/schema.js";
import { intakeJson, relayAwareValidators } from "./pipeline/relay-intake.js";
import { adminBodyCredential, requireJsonWrite } from "./routes/admin/admin-auth.js";
import { adminManageRoutes } from "./routes/admin/admin-manage.js";
import { adminDeploymentRoutes } from "./routes/admin/admin-deployments.js";
import { adminTemplateRoutes } from "./routes/admin/admin-templates.js";
import { adminRoutes } from "./routes/admin/admin-routes.js";
import { adminReplayRoutes } from "./routes/admin/replay.js";
import { LIVE_FEED_PATH, adminWebSocketRoutes } from "./routes/admin/ws.js";
import { basicRoutes } from "./routes/basic.js";
import { chatCompletionsRoutes } from "./routes/chat-completions.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { embeddingsRoutes } from "./routes/embeddings.js";
import { p1Routes } from "./passthrough/p1-routes.js";
import { messagesRoutes } from "./routes/messages.js";
import { responsesRoutes } from "./routes/responses.js";
import { usageRoutes } from "./routes/usage.js";
import { responsesCompactRoute } from "./routes/responses-compact.js";
import { responsesInputTokensRoute } from "./routes/responses-input-tokens.js";
import { RESPONSES_PATH, responsesUpgrade, responsesWebSocketRoutes } from "./routes/responses-ws.js";
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

export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const runtime = await ProxyRuntime.create(opts.config, (task, err) => opts.logger && opts.logger.warn({ task, err }, "background task failed"));
  const app = createServer(opts);
  app.decorate("runtime", runtime);
  app.decorateRequest("requestLogged", false);
  useResponseSchemas(app, process.env.YALLMPROXY_CHECK_RESPONSES === "1");
  app.addHook("onClose", async () => runtime.close());

  // One structural scan bounds the nesting (every later walk over a body may then recurse) and
  // refuses what is not JSON; a body that is only relayed is never parsed (pipeline/relay-intake.ts).
  // Plain JSON.parse parses the others; the bodies are never merged into prototypes.
  const maxDepth = opts.config.server.maxJsonDepth;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, body, done) => {
    const raw = body as Buffer;
    if (raw.length === 0) {
      // Routes that take no body (DELETE, cancel, most admin calls) accept an empty one with any content type.
      if (req.routeOptions.schema?.body === undefined) return done(null, undefined);
      return done(Errors.invalidJson("empty body") as unknown as FastifyError, undefined);
    }
    const parsed = intakeJson(req, raw, runtime, maxDepth);
    if (parsed instanceof ProxyError) return done(parsed as unknown as FastifyError, undefined);
    req.rawBody = raw;
    done(null, parsed);
  });

  // Every answer made through `reply.send` carries the request id; relayed answers write it themselves.
  app.addHook("onSend", (request, reply, payload, done) => {
    reply.header("x-request-id", request.id);
    done(null, payload);
  });

  guardRoutes(app, runtime, opts.config.server.bodyLimitBytes);
  await registerRoutes(app, runtime, opts);
  guardConnections(app.server, opts.config.server.maxConnectionsPerIp, opts.config.server.headersTimeoutMs);
  return app;
}

/** The Fastify instance with the server's limits, request ids and framework refusals. */
function createServer(opts: BuildOptions): FastifyInstance {
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
    // Fastify's own validators, but a relay stub passes on the routes that relay (pipeline/relay-intake.ts).
    schemaController: { compilersFactory: { buildValidator: relayAwareValidators } },
    ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: false,
    // Fastify's own refusals (a URL that does not decode, a path parameter over its length) and
    // Node's (a header block too large, bytes that are not HTTP) answer in the documented shape too.
    frameworkErrors: (error, request, reply) => {
      const err = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? uriTooLong() : Errors.invalidUrl(error.message);
      logRefusal(request, err);
      sendProxyError(reply, formatOfUrl(request.url), err);
    },
    clientErrorHandler: (error, socket) => answerClientError(app, error, socket),
    // One logger for all requests: a child per request (for its id) costs more than the request line,
    // which names the id itself.
    childLoggerFactory: (logger) => logger,
    forceCloseConnections: true,
  });
  return app;
}

/**
 * App-key checks on the routes that ask for them, the admin API's JSON-only writes, and one error
 * handler (and 404) answering in the route's wire format. Before any route is registered.
 */
function guardRoutes(app: FastifyInstance, runtime: ProxyRuntime, bodyLimit: number): void {
  // Added to the routes that check app keys only, in callback style: no promise per request.
  const checkKey = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
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
      const pre = route.preValidation;
      route.preValidation = pre === undefined ? [adminBodyCredential] : [adminBodyCredential, ...(Array.isArray(pre) ? pre : [pre])];
      return;
    }
    if (!route.config?.auth) return;
    const own = route.onRequest;
    route.onRequest = own === undefined ? [checkKey] : [checkKey, ...(Array.isArray(own) ? own : [own])];
  });

  app.setErrorHandler((error: FastifyError | ProxyError, request, reply) => {
    const format = formatOf(request);
    const err = toProxyError(error, bodyLimit);
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
}

async function registerRoutes(app: FastifyInstance, runtime: ProxyRuntime, opts: BuildOptions): Promise<void> {
  await app.register(basicRoutes);
  await app.register(chatCompletionsRoutes);
  await app.register(responsesRoutes);
  await app.register(responsesInputTokensRoute);
  await app.register(responsesCompactRoute);
  await app.register(messagesRoutes);
  await app.register(embeddingsRoutes);
  await app.register(p1Routes);
  await app.register(usageRoutes);

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
  await app.register(responsesWebSocketRoutes);
  answerOtherUpgradesAsHttp(app, LIVE_FEED_PATH, { [RESPONSES_PATH]: responsesUpgrade(app) });
  app.server.on("connect", (_req: IncomingMessage, socket: Duplex) => answerOnSocket(socket, 405, Errors.noTunnels(), "chat"));
  await app.register(adminRoutes, { config: configManager });
  await app.register(adminManageRoutes, { config: configManager });
  await app.register(adminDeploymentRoutes, { config: configManager });
  await app.register(adminTemplateRoutes);
  await app.register(adminReplayRoutes);
  await app.register(dashboardRoutes);
}
