// A line diff (longest common subsequence) grouped into unified-diff hunks, and a reader for the
// unified diffs the server sends, both into the same rows for DiffView.

export interface DiffLine {
  kind: "context" | "add" | "del" | "hunk";
  text: string;
  oldNo?: number;
  newNo?: number;
}

type Op = { kind: "context" | "add" | "del"; text: string; oldNo?: number; newNo?: number };

function diffOps(a: string[], b: string[]): Op[] {
  // Trim the common ends first: edits to a config are usually local.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: Op[] = [];
  for (let k = 0; k < pre; k++) ops.push({ kind: "context", text: a[k]!, oldNo: k + 1, newNo: k + 1 });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && am[i] === bm[j]) {
      ops.push({ kind: "context", text: am[i]!, oldNo: pre + i + 1, newNo: pre + j + 1 });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removed lines before added ones, as unified diffs (and the server's) show a change.
      ops.push({ kind: "del", text: am[i]!, oldNo: pre + i + 1 });
      i++;
    } else {
      ops.push({ kind: "add", text: bm[j]!, newNo: pre + j + 1 });
      j++;
    }
  }
  for (let k = 0; k < suf; k++) ops.push({ kind: "context", text: a[a.length - suf + k]!, oldNo: a.length - suf + k + 1, newNo: b.length - suf + k + 1 });
  return ops;
}

/** Unified-diff rows between two texts with `context` lines around each change; empty when equal. */
export function lineDiff(before: string, after: string, context = 3): DiffLine[] {
  const ops = diffOps(before.split("\n"), after.split("\n"));
  const changed = ops.map((o) => o.kind !== "context");
  const keep = ops.map((_, k) => {
    for (let d = -context; d <= context; d++) if (changed[k + d]) return true;
    return false;
  });
  const out: DiffLine[] = [];
  let k = 0;
  while (k < ops.length) {
    if (!keep[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < ops.length && keep[end]) end++;
    const hunk = ops.slice(k, end);
    const first = hunk[0]!;
    const oldStart = first.oldNo ?? hunk.find((o) => o.oldNo !== undefined)?.oldNo ?? 0;
    const newStart = first.newNo ?? hunk.find((o) => o.newNo !== undefined)?.newNo ?? 0;
    const oldLen = hunk.filter((o) => o.kind !== "add").length;
    const newLen = hunk.filter((o) => o.kind !== "del").length;
    out.push({ kind: "hunk", text: `@@ -${oldStart},${oldLen} +${newStart},${newLen} @@` });
    out.push(...hunk);
    k = end;
  }
  return out;
}

/** Reads a unified diff (`--- a`, `+++ b`, `@@ -1,3 +1,4 @@`, ` `/`+`/`-` lines). */
export function parseUnifiedDiff(text: string): DiffLine[] {
  const out: DiffLine[] = [];
  let oldNo = 0;
  let newNo = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("---") || line.startsWith("+++") || line.startsWith("Index:") || line.startsWith("====")) continue;
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[2]);
      out.push({ kind: "hunk", text: line });
    } else if (line.startsWith("+")) out.push({ kind: "add", text: line.slice(1), newNo: newNo++ });
    else if (line.startsWith("-")) out.push({ kind: "del", text: line.slice(1), oldNo: oldNo++ });
    else if (line.startsWith(" ")) out.push({ kind: "context", text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
  }
  return out;
}
