// Token counts for `count_tokens` on backends that cannot count themselves: the o200k tokenizer over
// every text the model would read (system, messages, tool calls and results, tool definitions).
//
// The count is o200k's own (the same split and byte-pair merges, in O(n log n)), with its work
// bounded: text is cut into windows at word boundaries (exact), a piece over MAX_PIECE_BYTES is
// merged in slices of that size (off by a token or so per slice, only on a long unbroken run), text
// past EXACT_CHARS per request is estimated at the rate counted so far, and the loop is handed back
// every few milliseconds, so a 32 MB body costs linear time and never stalls other requests.

import o200k from "js-tiktoken/ranks/o200k_base";

/** Images and PDFs have no text to count; these are Anthropic's typical per-item costs. */
const IMAGE_TOKENS = 1600;
const DOCUMENT_TOKENS = 3000;
const PER_MESSAGE_OVERHEAD = 3;

/** Characters per window the split pattern runs over at once. */
const WINDOW_CHARS = 4096;
/** Longest piece merged as one; longer ones (never seen in ordinary text) are merged in slices. */
const MAX_PIECE_BYTES = 2048;
/** Characters counted exactly per request (about 250 k tokens of prose, past any context window). */
const EXACT_CHARS = 1 << 20;
/** How long a count may hold the event loop before it yields. */
const SLICE_MS = 2;

/** Token ranks keyed by their bytes as a latin1 string (one char per byte). */
let ranks: Map<string, number> | undefined;
let loading: Promise<Map<string, number>> | undefined;
/** No o200k token is longer than this many bytes (set with the table), so no longer span is looked up. */
let longestToken = 0;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Builds the rank table (~200 k entries) in slices, so its first use does not stall the loop. */
function rankTable(): Promise<Map<string, number>> {
  if (ranks) return Promise.resolve(ranks);
  loading ??= (async () => {
    const map = new Map<string, number>();
    // One line: "! <first rank> <base64 token> <base64 token> …", ranks consecutive from there.
    const fields = o200k.bpe_ranks.trim().split(" ");
    const first = Number(fields[1]);
    let t = performance.now();
    for (let i = 2; i < fields.length; i++) {
      const token = Buffer.from(fields[i]!, "base64").toString("latin1");
      if (token.length > longestToken) longestToken = token.length;
      map.set(token, first + i - 2);
      if ((i & 4095) === 0 && performance.now() - t > SLICE_MS) {
        await yieldToLoop();
        t = performance.now();
      }
    }
    ranks = map;
    return map;
  })();
  return loading;
}

const NON_ASCII = /[\u0080-\uffff]/;
const WHITESPACE = /\s/;

/** Pieces up to this many bytes are merged by a plain scan; longer ones with a heap. */
const SCAN_BYTES = 24;

/** Tokens of one piece: byte-pair merges, lowest rank first (leftmost on a tie), as o200k does. */
function mergeCount(bytes: string, table: Map<string, number>): number {
  const n = bytes.length;
  if (n < 2) return n;
  return n <= SCAN_BYTES ? scanMerge(bytes, n, table) : heapMerge(bytes, n, table);
}

const scanStarts = new Int32Array(SCAN_BYTES + 1);
const scanRanks = new Float64Array(SCAN_BYTES);

function scanMerge(bytes: string, n: number, table: Map<string, number>): number {
  const starts = scanStarts;
  const rank = scanRanks;
  for (let i = 0; i <= n; i++) starts[i] = i;
  for (let i = 0; i < n - 1; i++) rank[i] = table.get(bytes.slice(i, i + 2)) ?? Infinity;
  let parts = n;
  for (;;) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i < parts - 1; i++) {
      if (rank[i]! < best) {
        best = rank[i]!;
        at = i;
      }
    }
    if (at < 0) return parts;
    starts.copyWithin(at + 1, at + 2, parts + 1);
    rank.copyWithin(at + 1, at + 2, parts - 1);
    parts -= 1;
    rank[at] = at + 1 < parts ? (table.get(bytes.slice(starts[at]!, starts[at + 2]!)) ?? Infinity) : Infinity;
    if (at > 0) rank[at - 1] = table.get(bytes.slice(starts[at - 1]!, starts[at + 1]!)) ?? Infinity;
  }
}

// Scratch for heapMerge (pieces are at most MAX_PIECE_BYTES; counting never runs re-entrantly).
const nextPart = new Int32Array(MAX_PIECE_BYTES + 2);
const prevPart = new Int32Array(MAX_PIECE_BYTES + 2);
const heap = new Float64Array(3 * MAX_PIECE_BYTES);
const SPAN = MAX_PIECE_BYTES * 2;

/**
 * The same merges in O(n log n): parts as a linked list by start offset, candidate pairs in a
 * binary min-heap of one number each, rank·start·end packed so that the order is (rank, start);
 * a popped pair whose parts changed since it was pushed is skipped.
 */
function heapMerge(bytes: string, n: number, table: Map<string, number>): number {
  const next = nextPart;
  const prev = prevPart;
  for (let i = 0; i <= n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  let size = 0;
  const push = (start: number, end: number): void => {
    if (end - start > longestToken) return;
    const rank = table.get(bytes.slice(start, end));
    if (rank === undefined) return;
    const key = (rank * SPAN + start) * SPAN + end;
    let i = size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (heap[up]! <= key) break;
      heap[i] = heap[up]!;
      i = up;
    }
    heap[i] = key;
  };
  for (let i = 0; i < n - 1; i++) push(i, i + 2);
  let parts = n;
  while (size > 0) {
    const top = heap[0]!;
    // Pop: sift the last entry down from the root.
    const last = heap[--size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1]! < heap[c]!) c += 1;
      if (heap[c]! >= last) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    const end = top % SPAN;
    const start = Math.floor(top / SPAN) % SPAN;
    const right = next[start]!;
    // Stale: the left part was merged away, or its right neighbour no longer ends at `end`.
    if (prev[start] === -2 || right >= n || next[right] !== end) continue;
    next[start] = end;
    prev[end] = start;
    prev[right] = -2;
    parts -= 1;
    if (prev[start]! >= 0) push(prev[start]!, end);
    if (end < n) push(start, next[end]!);
  }
  return parts;
}

/** Where to end a window starting at `from`: before a space that follows a non-space (exact). */
function windowEnd(text: string, from: number): number {
  const limit = from + WINDOW_CHARS;
  if (limit >= text.length) return text.length;
  for (let p = limit; p > from; p--) {
    if (text.charCodeAt(p) === 32 && !WHITESPACE.test(text[p - 1]!)) return p;
  }
  // No word boundary in the window: cut anywhere but inside a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** One request's share: loop time between yields, and characters left to count exactly. */
class Budget {
  private t = performance.now();
  exactLeft = EXACT_CHARS;
  counted = { chars: 0, tokens: 0 };

  async spend(): Promise<void> {
    if (performance.now() - this.t < SLICE_MS) return;
    await yieldToLoop();
    this.t = performance.now();
  }

  estimate(chars: number): number {
    return Math.ceil((chars * this.counted.tokens) / Math.max(1, this.counted.chars));
  }
}

/** o200k token count of `text` (special tokens counted as plain text). */
export function countText(text: string): Promise<number> {
  return countWithin(text, new Budget());
}

async function countWithin(text: string, budget: Budget): Promise<number> {
  const table = await rankTable();
  const split = new RegExp(o200k.pat_str, "gu");
  let tokens = 0;
  for (let from = 0; from < text.length;) {
    if (budget.exactLeft <= 0) return tokens + budget.estimate(text.length - from);
    const end = windowEnd(text, from);
    const window = text.slice(from, end);
    const before = tokens;
    from = end;
    const ascii = !NON_ASCII.test(window);
    split.lastIndex = 0;
    for (let m = split.exec(window); m !== null; m = split.exec(window)) {
      const piece = m[0];
      const bytes = ascii ? piece : Buffer.from(piece, "utf8").toString("latin1");
      if (table.has(bytes)) {
        tokens += 1;
        continue;
      }
      for (let at = 0; at < bytes.length; at += MAX_PIECE_BYTES) {
        tokens += mergeCount(bytes.slice(at, at + MAX_PIECE_BYTES), table);
        if (bytes.length > 256) await budget.spend();
      }
    }
    budget.exactLeft -= window.length;
    budget.counted.chars += window.length;
    budget.counted.tokens += tokens - before;
    await budget.spend();
  }
  return tokens;
}

function countBlocks(content: unknown, texts: string[]): number {
  if (typeof content === "string") {
    texts.push(content);
    return 0;
  }
  if (!Array.isArray(content)) return 0;
  let fixed = 0;
  for (const block of content as Array<Record<string, unknown> | null>) {
    if (typeof block !== "object" || block === null) continue;
    switch (block.type) {
      case "text":
        if (typeof block.text === "string") texts.push(block.text);
        break;
      case "thinking":
        if (typeof block.thinking === "string") texts.push(block.thinking);
        break;
      case "tool_use":
        texts.push(String(block.name ?? ""), JSON.stringify(block.input ?? {}));
        break;
      case "tool_result":
        fixed += countBlocks(block.content, texts);
        break;
      case "image":
        fixed += IMAGE_TOKENS;
        break;
      case "document": {
        const source = block.source as { type?: string; data?: unknown } | undefined;
        if (source?.type === "text" && typeof source.data === "string") texts.push(source.data);
        else fixed += DOCUMENT_TOKENS;
        break;
      }
      default:
        break;
    }
  }
  return fixed;
}

export async function countMessagesTokens(body: Record<string, unknown>): Promise<number> {
  const texts: string[] = [];
  let fixed = countBlocks(body.system, texts);
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  for (const m of messages) fixed += PER_MESSAGE_OVERHEAD + countBlocks(m.content, texts);
  for (const tool of Array.isArray(body.tools) ? (body.tools as Array<Record<string, unknown>>) : []) {
    texts.push(String(tool.name ?? ""), String(tool.description ?? ""), JSON.stringify(tool.input_schema ?? {}));
  }
  const budget = new Budget();
  let tokens = fixed;
  for (const t of texts) if (t) tokens += await countWithin(t, budget);
  return tokens;
}
