// The headers of a raw pass-through hop: what belongs to one connection (RFC 9110 §7.6.1) stays on
// it, and the client's credentials for this proxy never reach the upstream.

import type { IncomingHttpHeaders } from "node:http";

type HeaderValue = string | string[] | undefined;

/** Connection-level headers, plus the non-standard ones proxies have long treated the same way. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer", "proxy-connection"]);

/** The names a `Connection` header lists: these are hop-by-hop too. */
export function connectionNamed(value: HeaderValue): Set<string> {
  const out = new Set<string>();
  for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
    for (const name of v.split(",")) if (name.trim()) out.add(name.trim().toLowerCase());
  }
  return out;
}

/** Whether the header `name` (lower case) belongs to one connection, given what `Connection` names. */
export function isHopByHop(name: string, named: Set<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith("proxy-") || named.has(name);
}

/**
 * The client's headers for the upstream: hop-by-hop ones, `Host`, `Expect` (the HTTP client
 * handles those) and every credential the client showed this proxy (`authorization`,
 * `x-api-key`, the app-key header, cookies) dropped; the upstream's key and the model's own
 * headers added.
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  opts: { appKeyHeader: string; apiKey: string | undefined; extra: Record<string, string> },
): Record<string, string | string[]> {
  const named = connectionNamed(incoming.connection);
  const dropped = new Set(["host", "expect", "authorization", "x-api-key", "cookie", opts.appKeyHeader.toLowerCase()]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || dropped.has(name) || isHopByHop(name, named)) continue;
    out[name] = value;
  }
  if (opts.apiKey) out.authorization = `Bearer ${opts.apiKey}`;
  for (const [name, value] of Object.entries(opts.extra)) out[name.toLowerCase()] = value;
  return out;
}

/** The upstream's headers for the client, hop-by-hop ones dropped (Node frames the answer itself). */
export function clientHeaders(incoming: Record<string, HeaderValue>): Record<string, string | string[]> {
  const lower = Object.entries(incoming).map(([name, value]) => [name.toLowerCase(), value] as const);
  const named = connectionNamed(lower.find(([name]) => name === "connection")?.[1]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of lower) {
    if (value === undefined || isHopByHop(name, named)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The upstream path of a `/p1/{model}/{path}` URL as the client sent it (still percent-encoded), or
 * why it is refused: dot segments and encoded slashes, backslashes or NULs could climb out of the
 * model's `api_base` once some server decodes them.
 */
export function passthroughPath(rawUrl: string): { model: string; path: string; query: string } | { refused: string } {
  const q = rawUrl.indexOf("?");
  const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? "" : rawUrl.slice(q);
  const m = /^\/p1\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!m) return { refused: "expected /p1/{model}/{path}" };
  const rest = m[2] ?? "/";
  if (/%(2f|5c|00)|\\/i.test(rest)) return { refused: "the path holds an encoded slash, backslash or NUL" };
  for (const segment of rest.split("/")) {
    const decoded = segment.replace(/%2e/gi, ".");
    if (decoded === "." || decoded === "..") return { refused: "the path holds a dot segment (. or ..)" };
  }
  let model: string;
  try {
    model = decodeURIComponent(m[1]!);
  } catch {
    return { refused: "the model name is not valid percent-encoding" };
  }
  return { model, path: rest, query };
}
