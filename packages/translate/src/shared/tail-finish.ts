// How a relayed answer ended, read from its last bytes: the last `"<field>":"<value>"` there. A
// pass-through body is never parsed whole for this.

/** The value of the last `"field": "…"` in `tail`, or undefined. */
export function lastStringField(tail: string, field: string): string | undefined {
  const needle = `"${field}"`;
  let at = tail.lastIndexOf(needle);
  while (at >= 0) {
    let i = at + needle.length;
    while (tail[i] === " ") i++;
    if (tail[i] === ":") {
      i++;
      while (tail[i] === " ") i++;
      if (tail[i] === '"') {
        const end = tail.indexOf('"', i + 1);
        if (end > i) return tail.slice(i + 1, end);
      }
    }
    at = at === 0 ? -1 : tail.lastIndexOf(needle, at - 1);
  }
  return undefined;
}
