// App-key authentication: `Authorization: Bearer` or the configured header (default `x-api-key`),
// compared in constant time against every configured key, and per-model `allowed_keys`.

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { AppKey, ModelRoute, ProxyConfig } from "./config/load-config.js";
import { Errors, type ProxyError } from "./errors.js";

export interface Caller {
  /** The key's id, never its secret; undefined for unauthenticated callers. */
  keyId: string | undefined;
  key: AppKey | undefined;
}

const digest = (s: string) => createHash("sha256").update(s).digest();
/** Each configured key's digest, made once: a config reload brings new key objects. */
const keyDigests = new WeakMap<AppKey, Buffer>();
function keyDigest(key: AppKey): Buffer {
  let d = keyDigests.get(key);
  if (!d) {
    d = digest(key.secret);
    keyDigests.set(key, d);
  }
  return d;
}

function presentedKey(headers: IncomingHttpHeaders, headerName: string): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === "string") {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  for (const name of new Set([headerName, "x-api-key"])) {
    const v = headers[name];
    if (typeof v === "string" && v.trim()) return v.trim();
  }
  return undefined;
}

export function authenticate(config: ProxyConfig, headers: IncomingHttpHeaders): Caller | ProxyError {
  const settings = config.appKeys;
  if (!settings.enabled) return { keyId: undefined, key: undefined };
  const presented = presentedKey(headers, settings.headerName);
  if (presented === undefined) {
    return settings.allowUnauthenticated ? { keyId: undefined, key: undefined } : Errors.missingKey();
  }
  const given = digest(presented);
  let match: AppKey | undefined;
  // Compare against every key so the time taken does not reveal which one matched.
  for (const key of settings.keys) {
    const equal = timingSafeEqual(given, keyDigest(key));
    if (equal && key.enabled && !match) match = key;
  }
  return match ? { keyId: match.keyId, key: match } : Errors.invalidKey();
}

export function mayUseModel(config: ProxyConfig, caller: Caller, route: ModelRoute): boolean {
  if (!config.appKeys.enabled) return true;
  const allowed = route.allowedKeys;
  if (allowed === "all") return true;
  if (caller.keyId === undefined) return allowed === "none";
  if (allowed === "none") return false;
  return allowed.has(caller.keyId);
}
