// The admin credential (`YALLMP_ADMIN_PASSWORD`): a Bearer header, or a signed session cookie that
// `POST /admin/login` sets. The cookie holds an expiry and an HMAC keyed by the password, so every
// replica with the same password accepts it and changing the password signs everyone out.

import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ProxyError } from "../../errors.js";

export const SESSION_COOKIE = "yallmp_admin";
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

/** Whether the request carries the admin credential (header, cookie, or `token` query for the WebSocket). */
export function isAdmin(request: FastifyRequest, password: string): boolean {
  const auth = request.headers.authorization;
  if (typeof auth === "string") {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1] && safeEqual(m[1], password)) return true;
  }
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (cookie) {
    const [exp, mac] = cookie.split(".");
    const expires = Number(exp);
    if (mac && Number.isFinite(expires) && expires > Date.now() && safeEqual(mac, sign(password, expires))) return true;
  }
  const token = (request.query as { token?: unknown } | undefined)?.token;
  return typeof token === "string" && safeEqual(token, password);
}

export function adminUnauthorized(): ProxyError {
  return new ProxyError(401, "The admin credential is missing or wrong.", { type: "authentication_error", code: "admin_unauthorized" });
}

export function adminDisabled(): ProxyError {
  return new ProxyError(404, "The admin API is off: set YALLMP_ADMIN_PASSWORD to turn it on.", { code: "admin_disabled" });
}

/** onRequest hook for admin routes. */
export function requireAdmin(getPassword: () => string | undefined) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const password = getPassword();
    if (!password) throw adminDisabled();
    if (!isAdmin(request, password)) throw adminUnauthorized();
  };
}
