// The lexical steps of the body scan (json-scan.ts): where a string, a number or a literal ends, and
// the whitespace between tokens. `Invalid` is thrown where the grammar breaks.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Strings up to this length are walked in JavaScript: cheaper than a native call. */
const SHORT_STRING = 32;

export class Invalid {
  constructor(readonly at: number) {}
}

/** The index of the quote closing the string opening at `start`, or -1. */
export function stringEnd(json: Uint8Array, start: number): number {
  const n = json.length;
  let j = start + 1;
  const stop = Math.min(n, j + SHORT_STRING);
  while (j < stop) {
    const c = json[j]!;
    if (c === QUOTE) return j;
    j += c === BACKSLASH ? 2 : 1;
  }
  // `j` is never an escaped byte here, so a backslash run from `j` on pairs up from its start.
  for (;;) {
    if (j >= n) return -1;
    const q = json.indexOf(QUOTE, j);
    if (q < 0) return -1;
    let b = q - 1;
    while (b >= j && json[b] === BACKSLASH) b--;
    if (((q - 1 - b) & 1) === 0) return q;
    j = q + 1;
  }
}

export function skipSpace(json: Uint8Array, i: number): number {
  for (;;) {
    const c = json[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

export function literal(json: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (json[i + k] !== word.charCodeAt(k)) throw new Invalid(i + k);
  return i + word.length;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** The end of the number at `i` (JSON's grammar: no leading zeros, no `+`, no bare `.`). */
export function numberEnd(json: Uint8Array, i: number): number {
  if (json[i] === 0x2d) i++;
  if (json[i] === 0x30) i++;
  else if (isDigit(json[i])) while (isDigit(json[i])) i++;
  else throw new Invalid(i);
  if (json[i] === 0x2e) {
    i++;
    if (!isDigit(json[i])) throw new Invalid(i);
    while (isDigit(json[i])) i++;
  }
  if (json[i] === 0x65 || json[i] === 0x45) {
    i++;
    if (json[i] === 0x2b || json[i] === 0x2d) i++;
    if (!isDigit(json[i])) throw new Invalid(i);
    while (isDigit(json[i])) i++;
  }
  return i;
}
