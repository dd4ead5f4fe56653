// One error type with stable codes and statuses; routes render it in the client's own wire format.

import type { FastifyReply } from "fastify";
import { type WireFormat, codecs } from "@yallmproxy/translate";

/** The wire format a client speaks, which its errors take. */
export type ClientFormat = WireFormat;

export class ProxyError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  /** An upstream's own error body, passed to the client unchanged when formats match. */
  readonly upstreamBody: Buffer | undefined;
  readonly upstreamContentType: string | undefined;

  constructor(
    status: number,
    message: string,
    opts: {
      type?: string;
      code?: string | null;
      param?: string | null;
      headers?: Record<string, string>;
      upstreamBody?: Buffer;
      upstreamContentType?: string;
    } = {},
  ) {
    super(message);
    this.name = "ProxyError";
    this.status = status;
    this.type = opts.type ?? defaultTypeFor(status);
    this.code = opts.code ?? null;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
    this.upstreamBody = opts.upstreamBody;
    this.upstreamContentType = opts.upstreamContentType;
  }
}

function defaultTypeFor(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "invalid_request_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export const Errors = {
  invalidJson: (detail: string) => new ProxyError(400, `We could not parse the JSON body of your request. (${detail})`, { code: "invalid_json" }),
  jsonTooDeep: (limit: number) =>
    new ProxyError(400, `The JSON body of your request nests objects and arrays deeper than the limit of ${limit} levels.`, { code: "json_too_deep" }),
  tooManyInputItems: (count: number, limit: number) =>
    new ProxyError(400, `input holds ${count} items; the limit is ${limit}.`, { param: "input", code: "too_many_input_items" }),
  invalidField: (param: string, message: string) => new ProxyError(400, message, { param, code: "invalid_value" }),
  modelNotFound: (model: string) =>
    new ProxyError(404, `The model \`${model}\` does not exist or you do not have access to it.`, {
      code: "model_not_found",
      param: "model",
    }),
  bodyTooLarge: (limit: number) => new ProxyError(413, `Request body is larger than the limit of ${limit} bytes.`, { code: "request_too_large" }),
  missingKey: () =>
    new ProxyError(401, "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key'.", {
      code: "missing_api_key",
    }),
  invalidKey: () => new ProxyError(401, "Incorrect API key provided.", { code: "invalid_api_key" }),
  modelNotAllowed: (model: string) => new ProxyError(403, `Your API key is not allowed to use the model \`${model}\`.`, { code: "model_not_allowed" }),
  queueTimeout: (seconds: number) =>
    new ProxyError(429, `Too many concurrent requests for this key; waited ${seconds}s in the queue.`, {
      code: "concurrency_queue_timeout",
      headers: { "retry-after": "1" },
    }),
  /** A rate limit (rpm / tpm) reached; OpenAI's type names what ran out. */
  rateLimited: (kind: "rpm" | "tpm", limit: number, scope: string, retryAfterSeconds: string) =>
    new ProxyError(
      429,
      `Rate limit reached for ${kind === "rpm" ? "requests" : "tokens"} per minute on ${scopeName(scope)}: limit ${limit}. Try again in ${retryAfterSeconds}s.`,
      { type: kind === "rpm" ? "requests" : "tokens", code: "rate_limit_exceeded", headers: { "retry-after": retryAfterSeconds } },
    ),
  budgetExceeded: (maxUsd: number, retryAfterSeconds: string) =>
    new ProxyError(429, `This key has spent its budget of $${maxUsd} for the current period. It resets in ${retryAfterSeconds}s.`, {
      type: "insufficient_quota",
      code: "insufficient_quota",
      headers: { "retry-after": retryAfterSeconds },
    }),
  /** The rate-limit counters (Redis) did not answer and `fail_open` is false. */
  rateLimitsUnavailable: () =>
    new ProxyError(503, "Rate limits cannot be checked right now; send the request again shortly.", {
      type: "server_error",
      code: "rate_limits_unavailable",
      headers: { "retry-after": "1" },
    }),
  upstreamUnreachable: (backend: string) =>
    new ProxyError(502, `The upstream for \`${backend}\` could not be reached.`, { type: "server_error", code: "upstream_unreachable" }),
  /** Every deployment of a model is cooling down (failures: 503) or over its caps or rate limited (429). */
  noDeploymentOpen: (model: string, retryAfterSeconds: number, rateLimited: boolean) =>
    new ProxyError(
      rateLimited ? 429 : 503,
      rateLimited
        ? `Every deployment of \`${model}\` is at its rate limit; try again in ${retryAfterSeconds} s.`
        : `Every deployment of \`${model}\` is cooling down after failures; try again in ${retryAfterSeconds} s.`,
      { type: rateLimited ? "rate_limit_error" : "server_error", code: "no_deployment_available", headers: { "retry-after": String(retryAfterSeconds) } },
    ),
  upstreamTimeout: (backend: string) =>
    new ProxyError(504, `The upstream for \`${backend}\` did not answer in time.`, { type: "server_error", code: "upstream_timeout" }),
  /** The upstream answered something that is not the answer it was asked for; `what` says what it was. */
  upstreamBadResponse: (backend: string, what: string) =>
    new ProxyError(502, `The upstream for \`${backend}\` answered with ${what}.`, { type: "server_error", code: "upstream_bad_response" }),
  /** A compaction the proxy was asked to expand that it did not make, or not for this key, or no longer has. */
  invalidCompaction: (message: string) => new ProxyError(400, message, { param: "input", code: "invalid_encrypted_content" }),
  compactionTriggerNotLast: () => new ProxyError(400, "A compaction_trigger item must be the last input item.", { param: "input", code: "invalid_value" }),
  /** The summary call gave no summary (502), or its record could not be stored (500). */
  compactionFailed: (status: 500 | 502, message: string) => new ProxyError(status, message, { type: "server_error", code: "compaction_failed" }),
  /** The upstream answered 200 but its body says it failed. */
  upstreamReportedError: (backend: string, message: string) =>
    new ProxyError(502, `The upstream for \`${backend}\` reported an error: ${message}`, { type: "server_error", code: "upstream_error" }),
  shuttingDown: () =>
    new ProxyError(503, "The proxy is shutting down; send the request again.", {
      type: "server_error",
      code: "shutting_down",
      headers: { "retry-after": "1", connection: "close" },
    }),
  endpointDisabled: (path: string) => new ProxyError(404, `The endpoint ${path} is disabled in this proxy's configuration.`, { code: "endpoint_disabled" }),
  notFound: (method: string, url: string) => new ProxyError(404, `Unknown request URL: ${method} ${url}.`, { code: "unknown_url" }),
  invalidUrl: (detail: string) => new ProxyError(400, `The request URL is not valid: ${detail}`, { code: "invalid_url" }),
  invalidHttp: (detail: string) => new ProxyError(400, `The request is not valid HTTP (${detail}).`, { code: "invalid_http" }),
  uriTooLong: () => new ProxyError(414, "The request URL is too long.", { code: "uri_too_long" }),
  headersTooLarge: () => new ProxyError(431, "The request's headers are too large.", { code: "request_headers_too_large" }),
  requestTimeout: () => new ProxyError(408, "The request did not arrive in time.", { code: "request_timeout" }),
  noTunnels: () => new ProxyError(405, "This proxy does not tunnel connections (CONNECT).", { code: "method_not_allowed" }),
  /** A 4xx Fastify chose itself (its message says why; it has no code of ours). */
  frameworkRefusal: (status: number, message: string) => new ProxyError(status, message),
  internal: () => new ProxyError(500, "The proxy failed to process the request.", { type: "server_error", code: "internal_error" }),
  /** The client left (or its background run was cancelled) before its answer. */
  clientGone: () => new ProxyError(499, "client closed the request", { code: "client_closed_request" }),
  unsupportedBackendFormat: (backend: string, backendFormat: string, clientFormat: string) =>
    new ProxyError(400, `The backend of \`${backend}\` speaks ${backendFormat}, which ${clientFormat} requests cannot be translated to.`, {
      code: "unsupported_backend_format",
    }),
  passthroughModelNotFound: (model: string) =>
    new ProxyError(404, `The model \`${model}\` is not a pass-through model (api_type: passthrough) of this proxy.`, {
      code: "model_not_found",
      param: "model",
    }),
  endpointNotServed: (backend: string, apiType: string, path: string) =>
    new ProxyError(400, `The backend of \`${backend}\` (api_type ${apiType}) does not serve ${path}; OpenAI-compatible backends do.`, {
      code: "unsupported_endpoint",
    }),
  /** An upstream's refusal, re-rendered for a client of another wire format. */
  upstreamRefused: (err: ProxyError) => new ProxyError(err.status, err.message, { type: err.type, code: err.code, param: err.param, headers: err.headers }),
  /** A status and message an upstream or a decoder chose (the codes and fields are theirs). */
  upstreamSaid: (
    status: number,
    message: string,
    opts: {
      type?: string;
      code?: string | null;
      param?: string | null;
      headers?: Record<string, string>;
      upstreamBody?: Buffer;
      upstreamContentType?: string;
    } = {},
  ) => new ProxyError(status, message, opts),
  upstreamRequestRefused: (message: string) => new ProxyError(502, message, { type: "server_error", code: "upstream_request_refused" }),
  upstreamClosedUnanswered: (backend: string) =>
    new ProxyError(502, `The upstream for \`${backend}\` closed the connection without answering.`, { type: "server_error", code: "upstream_unreachable" }),
  upstreamStalled: (backend: string, detail: string) =>
    new ProxyError(504, `The upstream for \`${backend}\` stopped sending before its answer ended (${detail}).`, {
      type: "server_error",
      code: "upstream_timeout",
    }),
  upstreamBodyBroke: (backend: string, how: string) =>
    new ProxyError(502, `The upstream for \`${backend}\` ${how} before the body ended.`, { type: "server_error", code: "upstream_connection_closed" }),
  /** The client's request cannot be said in the backend's format (the translator's status, code and field). */
  untranslatable: (status: number, message: string, param: string | null, code: string) => new ProxyError(status, message, { param, code }),
  previousResponseNotFound: (id: string) =>
    new ProxyError(400, `Previous response with id '${id}' not found.`, { param: "previous_response_id", code: "previous_response_not_found" }),
  toolOutputWithoutCall: (callId: string) =>
    new ProxyError(400, `No tool call found for function call output with call_id ${callId.slice(0, 200)}.`, {
      param: "input",
      code: "tool_output_without_call",
    }),
  responseNotFound: (id: string) => new ProxyError(404, `Response with id '${id}' not found.`, { code: "not_found" }),
  chainTooDeep: (limit: number) =>
    new ProxyError(400, `previous_response_id chain is too deep (more than ${limit} responses).`, { param: "previous_response_id", code: "chain_too_deep" }),
  // The admin API's own (docs/admin-api.md).
  adminNotFound: (message: string) => new ProxyError(404, message, { code: "not_found" }),
  adminInvalidValue: (message: string, param: string) => new ProxyError(400, message, { code: "invalid_value", param }),
  adminNoDatabase: () => new ProxyError(503, "No database is configured.", { code: "no_database" }),
  adminModelProtected: (name: string) =>
    new ProxyError(
      403,
      `Model '${name}' is protected (protected: true): it cannot be changed or deleted through the admin API. Edit the config file instead.`,
      {
        type: "permission_error",
        code: "model_protected",
      },
    ),
  adminModelExists: (name: string, param: string) => new ProxyError(409, `A model named '${name}' already exists.`, { code: "model_exists", param }),
  adminDeploymentExists: (id: string) =>
    new ProxyError(409, `A deployment with id '${id}' already exists.`, { code: "deployment_exists", param: "model_info.id" }),
  adminLastDeployment: (name: string) =>
    new ProxyError(409, `'${name}' has no other deployment: delete the model (DELETE /admin/models/${name}) instead.`, { code: "last_deployment" }),
  adminKeyExists: (keyId: string) => new ProxyError(409, `A key '${keyId}' already exists.`, { code: "key_exists", param: "key_id" }),
  adminOriginRefused: () =>
    new ProxyError(403, "The admin session cookie is not accepted from this origin.", { type: "permission_error", code: "admin_origin_refused" }),
  adminUnsupportedMediaType: () =>
    new ProxyError(415, "Admin API writes take a JSON body: send content-type: application/json.", { code: "unsupported_media_type", param: "content-type" }),
  adminUnauthorized: () => new ProxyError(401, "The admin credential is missing or wrong.", { type: "authentication_error", code: "admin_unauthorized" }),
  adminDisabled: () => new ProxyError(404, "The admin API is off: set YALLMP_ADMIN_PASSWORD to turn it on.", { code: "admin_disabled" }),
  adminInvalidUpgrade: (message: string, headers: Record<string, string> = {}) => new ProxyError(400, message, { code: "invalid_upgrade", headers }),
  // Responses WebSocket mode (docs/protocol.md).
  webSocketModeOff: () =>
    new ProxyError(426, "WebSocket mode is turned off on this proxy: send POST /v1/responses over HTTP.", { code: "websocket_mode_disabled" }),
  webSocketUpgradeRequired: () =>
    new ProxyError(426, "GET /v1/responses is WebSocket mode: connect with a WebSocket client, or POST /v1/responses.", {
      code: "upgrade_required",
      headers: { upgrade: "websocket" },
    }),
  invalidUpgrade: (message: string) => new ProxyError(400, message, { code: "invalid_upgrade" }),
  socketFrameNotText: () => new ProxyError(400, "WebSocket frames must be text frames holding one JSON event.", { code: "invalid_frame" }),
  socketEventUnknown: (type: string) =>
    new ProxyError(400, `Unsupported client event type ${JSON.stringify(type.slice(0, 100))}: expected 'response.create'.`, {
      param: "type",
      code: "unknown_event_type",
    }),
  socketBackground: () => new ProxyError(400, "background is not supported in WebSocket mode.", { param: "background", code: "unsupported_parameter" }),
  socketQueueFull: (limit: number) =>
    new ProxyError(429, `At most ${limit} response.create events may wait on one socket; wait for the turns before them to finish.`, {
      code: "too_many_queued_turns",
    }),
  socketTurnLimit: (limit: number) =>
    new ProxyError(400, `This WebSocket has run its ${limit} turns; open a new connection to continue.`, { code: "websocket_connection_limit_reached" }),
  socketAgeLimit: (minutes: number) =>
    new ProxyError(400, `Responses websocket connection limit reached (${minutes} minutes). Create a new websocket connection to continue.`, {
      code: "websocket_connection_limit_reached",
    }),
  adminUpgradeRequired: () =>
    new ProxyError(426, "/admin/ws is a WebSocket endpoint: connect with a WebSocket client.", { code: "upgrade_required", headers: { upgrade: "websocket" } }),
};

/** `key:<id>`, `key:<id>:model:<name>`, `model:<name>` in words. */
function scopeName(scope: string | undefined): string {
  if (scope === undefined) return "this key";
  const m = /^key:(.*):model:(.*)$/.exec(scope);
  if (m) return `this key for model \`${m[2]}\``;
  return scope.startsWith("model:") ? `model \`${scope.slice(6)}\`` : "this key";
}

/** Renders a ProxyError in the client's wire format. */
export function sendProxyError(reply: FastifyReply, format: ClientFormat, err: ProxyError): void {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  reply
    .code(err.status)
    .header("content-type", "application/json")
    .send(JSON.stringify(errorBodyFor(format, err)));
}

/** The error body of the client's wire format, from its codec. */
export function errorBodyFor(format: ClientFormat, err: ProxyError): unknown {
  return codecs[format].errorBody(err);
}
