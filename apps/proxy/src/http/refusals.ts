// How a request the proxy refuses is answered and logged: its wire format (by route, or by URL
// before a route matched), Fastify's and ajv's errors as ProxyErrors, and the one log line.

import type { FastifyError, FastifyRequest } from "fastify";
import { type ClientFormat, Errors, ProxyError } from "../errors.js";

export function formatOf(request: FastifyRequest): ClientFormat {
  return request.routeOptions.config.clientFormat ?? "chat";
}

export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** The wire format of errors for a request not (yet) matched to a route. */
export function formatOfUrl(url: string): ClientFormat {
  return url.startsWith("/v1/messages") ? "messages" : "chat";
}

export function uriTooLong(): ProxyError {
  return Errors.uriTooLong();
}

/** The log line of a request refused before (or without) the proxy's own request line; never the query (it may hold a token). */
export function logRefusal(request: FastifyRequest, err: ProxyError): void {
  if (request.requestLogged) return;
  request.requestLogged = true;
  request.log.info({ reqId: request.id, method: request.method, path: pathOf(request.url), status: err.status, code: err.code }, "request");
}

export function toProxyError(error: FastifyError | ProxyError | Error, bodyLimit: number): ProxyError {
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
    return Errors.frameworkRefusal(fe.statusCode, fe.message);
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
