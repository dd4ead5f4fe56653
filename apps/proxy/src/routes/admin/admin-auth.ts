// The admin credential (`YALLMP_ADMIN_PASSWORD`): a Bearer header, or a signed session cookie that
// `POST /admin/login` sets. The cookie holds an expiry and an HMAC keyed by the password, so every
// replica with the same password accepts it and changing the password signs everyone out.
// A browser sends the cookie on its own, so a cookie counts only from the proxy's own origin (or one
// the config allows), and admin writes must be JSON: a form or a page elsewhere cannot act as the
// signed-in operator. `?token=` is accepted on the WebSocket only, as documented. yaLLMproxy's own
// forms are accepted too: the `x-admin-password` header, `?admin_password=` and an `admin_password`
// field of a JSON body; none of them is sent by a browser on its own, so they need no origin check.

import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Errors, type ProxyError } from "../../errors.js";

const SESSION_COOKIE = "yallmp_admin";
const SESSION_TTL_MS = 12 * 3600 * 1000;

function sign(password: string, expires: number): string {
  return createHmac("sha256", password).update(`yallmp-admin:${expires}`).digest("base64url");
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function sessionCookie(password: string, now = Date.now()): string {
  const expires = now + SESSION_TTL_MS;
  return `${SESSION_COOKIE}=${expires}.${sign(password, expires)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
}

export const clearedSessionCookie = `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function passwordMatches(password: string, given: unknown): boolean {
  return typeof given === "string" && safeEqual(given, password);
}

type Credential = "bearer" | "cookie" | "token" | "password";

/** yaLLMproxy's header and query forms of the password (surrounding blanks ignored, as there). */
function givenPassword(request: FastifyRequest, password: string): boolean {
  const header = request.headers["x-admin-password"];
  if (typeof header === "string" && header.trim()) return safeEqual(header.trim(), password);
  const query = (request.query as { admin_password?: unknown } | undefined)?.admin_password;
  return typeof query === "string" && query.trim() !== "" && safeEqual(query.trim(), password);
}

/**
 * Which admin credential the request carries, if any: the Bearer header, yaLLMproxy's
 * `x-admin-password` header or `?admin_password=`, the session cookie, or (where `queryToken` is
 * allowed: the WebSocket) `?token=`.
 */
export function adminCredential(request: FastifyRequest, password: string, queryToken = false): Credential | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === "string") {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1] && safeEqual(m[1], password)) return "bearer";
  }
  if (givenPassword(request, password)) return "password";
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (cookie) {
    const [exp, mac] = cookie.split(".");
    const expires = Number(exp);
    if (mac && Number.isFinite(expires) && expires > Date.now() && safeEqual(mac, sign(password, expires))) return "cookie";
  }
  if (!queryToken) return undefined;
  const token = (request.query as { token?: unknown } | undefined)?.token;
  return typeof token === "string" && safeEqual(token, password) ? "token" : undefined;
}

/**
 * Whether the request may come from where it says: no `Origin` (not a browser, or a same-origin
 * GET), the origin of the `Host` it was sent to, or one of `allowed`. A browser's own
 * `Sec-Fetch-Site: cross-site` is refused as well.
 */
function originAllowed(request: FastifyRequest, allowed: readonly string[]): boolean {
  const site = request.headers["sec-fetch-site"];
  const origin = request.headers.origin;
  if (origin === undefined) return site !== "cross-site";
  if (allowed.includes(origin.toLowerCase())) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return typeof request.headers.host === "string" && host === request.headers.host.toLowerCase();
}

function adminOriginRefused(): ProxyError {
  return Errors.adminOriginRefused();
}

function allowedOrigins(request: FastifyRequest): readonly string[] {
  return request.server.runtime?.config.server.adminOrigins ?? [];
}

/** The cookie (or, on the WebSocket, any credential) from a foreign origin is refused. */
export function checkAdminOrigin(request: FastifyRequest, credential: Credential, webSocket = false): void {
  if ((credential === "cookie" || webSocket) && !originAllowed(request, allowedOrigins(request))) throw adminOriginRefused();
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * onRequest hook for every admin route: a write must send JSON (`application/json`), or no body
 * at all; anything else (a form, `text/plain`) is 415 and never parsed.
 */
export function requireJsonWrite(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  if (!WRITE_METHODS.has(request.method)) return done();
  if (!request.server.runtime?.config.adminPassword) return done(adminDisabled());
  const type = request.headers["content-type"];
  if (type === undefined) {
    const length = request.headers["content-length"];
    const hasBody = request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
    return done(hasBody ? unsupportedMediaType() : undefined);
  }
  const media = type.split(";")[0]!.trim().toLowerCase();
  done(media === "application/json" ? undefined : unsupportedMediaType());
}

function unsupportedMediaType(): ProxyError {
  return Errors.adminUnsupportedMediaType();
}

export function adminUnauthorized(): ProxyError {
  return Errors.adminUnauthorized();
}

export function adminDisabled(): ProxyError {
  return Errors.adminDisabled();
}

/** Requests whose credential can only be in their JSON body, checked once it is parsed. */
const credentialInBody = new WeakSet<FastifyRequest>();

/** A caller without a credential gets this much body parsed at most, to look for `admin_password`. */
const BODY_CREDENTIAL_MAX_BYTES = 1024 * 1024;

function hasSmallJsonBody(request: FastifyRequest): boolean {
  if (!WRITE_METHODS.has(request.method)) return false;
  const length = Number(request.headers["content-length"]);
  return Number.isInteger(length) && length > 0 && length <= BODY_CREDENTIAL_MAX_BYTES;
}

/** onRequest hook for admin routes; `webSocket`: the live feed, where `?token=` is accepted too. */
export function requireAdmin(getPassword: () => string | undefined, opts: { webSocket?: boolean } = {}) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const password = getPassword();
    if (!password) throw adminDisabled();
    const credential = adminCredential(request, password, opts.webSocket === true);
    if (credential) return checkAdminOrigin(request, credential, opts.webSocket === true);
    // A small JSON write may carry yaLLMproxy's `admin_password` field: decided after parsing, before validation.
    if (opts.webSocket !== true && hasSmallJsonBody(request)) credentialInBody.add(request);
    else throw adminUnauthorized();
  };
}

/**
 * preValidation hook for every admin route: an `admin_password` field never reaches a route (nor
 * the config file); it is the credential of a request that came without another one.
 */
export function adminBodyCredential(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const body = request.body;
  let given: unknown;
  if (typeof body === "object" && body !== null && !Array.isArray(body) && "admin_password" in body) {
    given = (body as Record<string, unknown>).admin_password;
    delete (body as Record<string, unknown>).admin_password;
  }
  if (!credentialInBody.has(request)) return done();
  credentialInBody.delete(request);
  const password = request.server.runtime?.config.adminPassword;
  const ok = password !== undefined && typeof given === "string" && given.trim() !== "" && safeEqual(given.trim(), password);
  done(ok ? undefined : adminUnauthorized());
}
