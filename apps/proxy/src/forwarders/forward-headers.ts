// Which headers an HTTP forwarder passes on: every one but the hop-by-hop headers (the fixed list and
// those a Connection header names), and the client's Host only when the target is to see it.

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  // Node answers `Expect: 100-continue` itself; the target gets the body without waiting.
  "expect",
]);

/** Header pairs as Node's `rawHeaders` gives them: name, value, name, value, … */
type RawHeaders = readonly string[];

/** The names a Connection header lists, lower case: hop-by-hop for this message only. */
function connectionNamed(raw: RawHeaders): Set<string> {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== "connection") continue;
    for (const name of (raw[i + 1] as string).split(",")) {
      const n = name.trim().toLowerCase();
      if (n) named.add(n);
    }
  }
  return named;
}

/** The end-to-end headers of `raw` as name/value pairs (repeats kept, in order). */
export function endToEndHeaders(raw: RawHeaders, opts: { keepHost: boolean }): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    if (lower === "host" && !opts.keepHost) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

/** The same for undici's response headers (lower-case names; a repeated header as a list). */
export function endToEndResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push(name, v);
  }
  const kept = endToEndHeaders(pairs, { keepHost: true });
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < kept.length; i += 2) {
    const name = kept[i] as string;
    const value = kept[i + 1] as string;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}
