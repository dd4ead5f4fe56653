// Bounds the nesting of a JSON text before it is parsed: every later walk over the parsed value
// (validation, translation, traces, storage) may then recurse without risking the stack.

/** Default `proxy_settings.server.max_json_depth` (client bodies). */
export const DEFAULT_MAX_JSON_DEPTH = 128;
/** Upstream answers: more room than clients get, still far from the stack's limit. */
export const MAX_UPSTREAM_JSON_DEPTH = 512;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;

/**
 * Whether `text` nests objects and arrays deeper than `limit`. One pass; string contents are skipped
 * with `indexOf` (brackets inside strings do not count, `\"` does not end a string). Malformed text
 * is not judged here: JSON.parse reports it.
 */
export function jsonDeeperThan(text: string, limit: number): boolean {
  const n = text.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // The closing quote is the first one preceded by an even number of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return false;
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if (((j - 1 - k) & 1) === 0) break;
      }
      i = j;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** JSON.parse for upstream text, refusing nesting past MAX_UPSTREAM_JSON_DEPTH (throws SyntaxError). */
export function parseUpstreamJson(text: string): unknown {
  if (text.length > MAX_UPSTREAM_JSON_DEPTH && jsonDeeperThan(text, MAX_UPSTREAM_JSON_DEPTH)) {
    throw new SyntaxError(`JSON nests deeper than ${MAX_UPSTREAM_JSON_DEPTH} levels`);
  }
  return JSON.parse(text);
}
