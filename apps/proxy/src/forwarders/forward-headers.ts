// Which request headers the HTTP forwarder passes on: every one but the hop-by-hop headers (the
// pass-through's rules: the fixed list, `Proxy-*` and what a Connection header names), `Expect`
// (Node answers it), and the client's Host only when the target is to see it. Credentials pass:
// the target checks them. Answers use the pass-through's `clientHeaders`.

import { connectionNamed, isHopByHop } from "../passthrough/hop-by-hop.js";

export { clientHeaders as endToEndResponseHeaders } from "../passthrough/hop-by-hop.js";

/** The end-to-end headers of `raw` (Node's `rawHeaders`: name, value, …), repeats and case kept, in order. */
export function endToEndHeaders(raw: readonly string[], opts: { keepHost: boolean }): string[] {
  const connection: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === "connection") connection.push(raw[i + 1] as string);
  const named = connectionNamed(connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (isHopByHop(lower, named) || lower === "expect" || (lower === "host" && !opts.keepHost)) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}
