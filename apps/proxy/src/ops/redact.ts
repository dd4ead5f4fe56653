// What counts as a credential, and how it is hidden wherever a header, a body or a config value is
// shown or stored (traces, the admin API, the dashboard). Names decide first (the app-key header,
// authorization, cookies, anything named like a key, token, secret or password); then the values of
// every secret the proxy knows, and of the credential headers a request carried, are cut out of
// any text that still holds them (an echoed key in a body or a stream).

import type { ProxyConfig } from "../config/load-config.js";

export const REDACTED = "[redacted]";

/** Header names that carry a credential whatever the configured key header is. */
const CREDENTIAL_HEADER = /^(?:authorization|proxy-authorization|cookie|set-cookie|x-yallmproxy-internal)$|key|token|secret|passw|credential|auth/i;
/** Body and config field names holding a credential (`max_tokens` and logprobs' `token` are not). */
const CREDENTIAL_FIELD =
  /^(?:.*[_-])?(?:api[_-]?key|apikey|secret(?:[_-]?key)?|password|passwd|authorization|private[_-]?key|access[_-]?key|(?:access|refresh|auth|id|bearer|session)[_-]?token)$/i;
/** Known secret values shorter than this are not searched for in text (too likely to be ordinary words). */
const MIN_SECRET_LENGTH = 8;
/** Bodies nested deeper than this are cut there (the walk itself has no depth limit). */
const MAX_CAPTURE_DEPTH = 256;

export interface Redactor {
  /** Whether a header of this name carries a credential. */
  isSecretHeader(name: string): boolean;
  /** Secret values known from the config (app keys, upstream keys, upstream header values). */
  readonly values: readonly string[];
}

export function isCredentialField(name: string): boolean {
  return CREDENTIAL_FIELD.test(name);
}

function isCredentialHeader(name: string, keyHeader?: string): boolean {
  const lower = name.toLowerCase();
  return lower === keyHeader || CREDENTIAL_HEADER.test(lower);
}

const cache = new WeakMap<ProxyConfig, Redactor>();

/** The redactor for a config (built once per config). */
export function redactorFor(config: ProxyConfig): Redactor {
  const known = cache.get(config);
  if (known) return known;
  const keyHeader = config.appKeys.headerName.toLowerCase();
  const values = new Set<string>();
  for (const k of config.appKeys.keys) values.add(k.secret);
  // Every deployment's, not only each model's first.
  for (const m of [...config.groups.values()].flatMap((g) => g.deployments)) {
    if (m.apiKey) values.add(m.apiKey);
    for (const v of Object.values(m.headers)) {
      values.add(v);
      // `Bearer sk-…`: the token alone too.
      const bearer = /^\s*\w+\s+(\S+)\s*$/.exec(v)?.[1];
      if (bearer) values.add(bearer);
    }
  }
  const redactor: Redactor = {
    isSecretHeader: (name) => isCredentialHeader(name, keyHeader),
    values: longestFirst(values),
  };
  cache.set(config, redactor);
  return redactor;
}

/** A redactor that knows no secret values (headers and fields by name only). */
export const nameRedactor: Redactor = { isSecretHeader: (name) => isCredentialHeader(name), values: [] };

function longestFirst(values: Iterable<string>): string[] {
  return [...new Set(values)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Headers with credentials replaced, and the credential values they held (to be cut from text). */
export function redactHeaders(headers: Record<string, unknown>, redactor: Redactor): { headers: Record<string, unknown>; values: string[] } {
  const out: Record<string, unknown> = {};
  const values: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!redactor.isSecretHeader(name)) {
      out[name] = value;
      continue;
    }
    out[name] = REDACTED;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v !== "string") continue;
      values.push(v.trim());
      const bearer = /^\s*\w+\s+(\S+)\s*$/.exec(v)?.[1];
      if (bearer) values.push(bearer);
    }
  }
  return { headers: out, values };
}

const patterns = new WeakMap<readonly string[], RegExp | null>();

/** One pattern for all the values, longest first, so a secret inside another is never half cut. */
function patternOf(values: readonly string[]): RegExp | null {
  let re = patterns.get(values);
  if (re === undefined) {
    const usable = longestFirst(values);
    re = usable.length ? new RegExp(usable.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g") : null;
    patterns.set(values, re);
  }
  return re;
}

/** The text with every known secret value replaced (in one pass: a marker is never cut again). */
export function scrubText(text: string, values: readonly string[]): string {
  const re = patternOf(values);
  return re ? text.replace(re, REDACTED) : text;
}

/** Combines the config's secret values with a request's own (longest first, so no secret is half cut). */
export function secretValues(redactor: Redactor, extra: readonly string[]): readonly string[] {
  return extra.length === 0 ? redactor.values : longestFirst([...redactor.values, ...extra]);
}

/**
 * A copy of a JSON value with credential fields replaced and secret values cut out of strings.
 * Iterative, so any depth is safe; what lies deeper than `maxDepth` is replaced by a marker, so the
 * copy can always be serialized.
 */
export function redactValue(value: unknown, values: readonly string[], maxDepth = MAX_CAPTURE_DEPTH): { value: unknown; cut: boolean } {
  const scrub = (v: unknown): unknown => (typeof v === "string" && values.length > 0 ? scrubText(v, values) : v);
  if (typeof value !== "object" || value === null) return { value: scrub(value), cut: false };
  let cut = false;
  const root: unknown[] | Record<string, unknown> = Array.isArray(value) ? [] : {};
  // Each entry: a source container, its copy, and its depth.
  const stack: Array<{ from: object; to: unknown[] | Record<string, unknown>; depth: number }> = [{ from: value, to: root, depth: 1 }];
  while (stack.length > 0) {
    const { from, to, depth } = stack.pop()!;
    const isArray = Array.isArray(from);
    const entries: Array<[string | number, unknown]> = isArray ? (from as unknown[]).map((v, i) => [i, v]) : Object.entries(from);
    for (const [key, child] of entries) {
      let copy: unknown;
      if (!isArray && isCredentialField(key as string) && child !== null && child !== undefined && child !== "") copy = REDACTED;
      else if (typeof child !== "object" || child === null) copy = scrub(child);
      else if (depth >= maxDepth) {
        copy = `[nested deeper than ${maxDepth} levels; not captured]`;
        cut = true;
      } else {
        copy = Array.isArray(child) ? [] : {};
        stack.push({ from: child, to: copy as unknown[] | Record<string, unknown>, depth: depth + 1 });
      }
      if (isArray) (to as unknown[])[key as number] = copy;
      else if (key === "__proto__") Object.defineProperty(to, key, { value: copy, enumerable: true, writable: true, configurable: true });
      else (to as Record<string, unknown>)[key as string] = copy;
    }
  }
  return { value: root, cut };
}

/** A URL with its user info and credential-like query parameters hidden. */
export function redactUrl(url: string): string {
  if (!url.includes("@") && !url.includes("?")) return url;
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? "redacted" : "";
      u.password = "";
    }
    for (const name of [...u.searchParams.keys()]) if (isCredentialHeader(name) || isCredentialField(name)) u.searchParams.set(name, REDACTED);
    return u.toString();
  } catch {
    return url;
  }
}
