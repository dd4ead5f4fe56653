// How much of a text's end could be the start of a tag: that much is held until the next chunk
// says whether the tag is there, so a tag split across chunks is still found.

function endsWithPrefix(text: string, tag: string, n: number): boolean {
  const start = text.length - n;
  for (let i = 0; i < n; i++) if (text.charCodeAt(start + i) !== tag.charCodeAt(i)) return false;
  return true;
}

/** The length of the longest proper prefix of `tag` that `text` ends with. */
export function heldPrefixLength(text: string, tag: string): number {
  const first = tag.charCodeAt(0);
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.charCodeAt(text.length - n) === first && endsWithPrefix(text, tag, n)) return n;
  }
  return 0;
}

/** The longest such length over several tags. */
export function heldPrefixLengthOfAny(text: string, tags: readonly string[]): number {
  let best = 0;
  for (const tag of tags) best = Math.max(best, heldPrefixLength(text, tag));
  return best;
}
