// Byte-level looks at a JSON body that has not been parsed: enough to tell an error object from an
// answer without decoding a large body.

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export function skipJsonSpace(body: Uint8Array, from: number): number {
  let i = from;
  while (i < body.length && isSpace(body[i])) i++;
  return i;
}

/** Whether `body` holds the ASCII text `word` at `at` (byte by byte: cheaper than a native compare). */
export function holdsAscii(body: Uint8Array, at: number, word: string): boolean {
  if (at + word.length > body.length) return false;
  for (let k = 0; k < word.length; k++) if (body[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** Where the first key of a JSON object body starts; -1 when the body does not open an object. */
export function firstKeyAt(body: Uint8Array): number {
  const i = skipJsonSpace(body, 0);
  return body[i] === 0x7b ? skipJsonSpace(body, i + 1) : -1;
}

/** The message of an error value: a string itself, or its `message` field, else `fallback`. */
export function errorMessageOf(e: unknown, fallback: string): string {
  if (typeof e === "string" && e) return e;
  const m = typeof e === "object" && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof m === "string" && m ? m : fallback;
}
