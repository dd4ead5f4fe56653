// How a relayed stream ended, heard as its bytes pass: each chunk is searched for the format's
// finish fields (a byte search; only the few bytes of a found value are decoded), so a finish that
// came long before the stream's last bytes is not lost, and nothing is held back.

import { type FinishReason, type WireFormat, codecs } from "@yallmproxy/translate";

/** The string fields each format's finish is read from (what its codec's `finishFromTail` reads). */
const FINISH_FIELDS: Record<WireFormat, readonly string[]> = {
  chat: ["finish_reason"],
  messages: ["stop_reason"],
  responses: ["status", "reason"],
};

/** Bytes seen anywhere in the stream that change its finish (a Responses function call asks for tools). */
const FLAGS: Record<WireFormat, readonly string[]> = {
  chat: [],
  messages: [],
  responses: ['"type":"function_call"'],
};

/** Bytes of one chunk's end kept for the next: a field (or its value) split between two chunks. */
const CARRY = 96;
/** A finish value longer than this is not one. */
const MAX_VALUE = 64;

interface Needle {
  name: string;
  bytes: Buffer;
}

export interface FinishWatch {
  feed(chunk: Buffer): void;
  /** The finish the stream's fields said, in the codec's closed union; undefined when none was seen. */
  finish(): FinishReason | undefined;
}

const needlesOf = (names: readonly string[]): readonly Needle[] => names.map((name) => ({ name, bytes: Buffer.from(`"${name}"`) }));
const NEEDLES: Record<WireFormat, readonly Needle[]> = {
  chat: needlesOf(FINISH_FIELDS.chat),
  messages: needlesOf(FINISH_FIELDS.messages),
  responses: needlesOf(FINISH_FIELDS.responses),
};
const bytesOf = (flags: readonly string[]): readonly Buffer[] => flags.map((f) => Buffer.from(f));
const FLAG_BYTES: Record<WireFormat, readonly Buffer[]> = { chat: bytesOf(FLAGS.chat), messages: bytesOf(FLAGS.messages), responses: bytesOf(FLAGS.responses) };
const NEWLINE = 0x0a;

export function createFinishWatch(format: WireFormat): FinishWatch {
  const fields = NEEDLES[format];
  const flags = FLAG_BYTES[format];
  const values = new Map<string, string>();
  let seenFlags = 0;
  // The previous chunk's end, when it did not end a line: SSE carries JSON on single lines, so only
  // then can a field (or its value) be split between two chunks.
  let carry: Buffer | undefined;

  const scan = (buf: Buffer) => {
    // From the end: the chunk's last value of a field is the one that counts.
    for (const f of fields) {
      for (let at = buf.lastIndexOf(f.bytes); at >= 0; at = at > 0 ? buf.lastIndexOf(f.bytes, at - 1) : -1) {
        const value = stringValueAt(buf, at + f.bytes.length);
        if (value !== undefined) {
          values.set(f.name, value);
          break;
        }
      }
    }
    for (let i = 0; i < flags.length; i++) if (!(seenFlags & (1 << i)) && buf.includes(flags[i]!)) seenFlags |= 1 << i;
  };

  return {
    feed(chunk) {
      // The seam first: it comes before the rest of this chunk, so a later value in the chunk wins.
      if (carry) scan(Buffer.concat([carry, chunk.subarray(0, CARRY)]));
      scan(chunk);
      carry = chunk.length === 0 || chunk[chunk.length - 1] === NEWLINE ? undefined : lastBytes(carry, chunk, CARRY);
    },
    finish() {
      if (values.size === 0) return undefined;
      // The fields as the small text the codec's own mapping reads.
      const text = [...values].map(([k, v]) => `{"${k}":"${v}"}`).join("") + FLAGS[format].filter((_, i) => seenFlags & (1 << i)).join("");
      return codecs[format].finishFromTail(text);
    },
  };
}

/** The last `n` bytes of `carry` then `chunk` (chunks may be smaller than `n`). */
function lastBytes(carry: Buffer | undefined, chunk: Buffer, n: number): Buffer {
  // A view, not a copy: the relay keeps its chunks unchanged (it holds its last two as they are).
  if (chunk.length >= n || !carry) return chunk.subarray(Math.max(0, chunk.length - n));
  const both = Buffer.concat([carry, chunk]);
  return both.subarray(Math.max(0, both.length - n));
}

const SPACE = 0x20;
const COLON = 0x3a;
const QUOTE = 0x22;

/** The string value after a field name at `i` (`: "value"`); undefined for null, numbers, or a value cut off. */
function stringValueAt(buf: Buffer, i: number): string | undefined {
  while (buf[i] === SPACE) i++;
  if (buf[i] !== COLON) return undefined;
  i++;
  while (buf[i] === SPACE) i++;
  if (buf[i] !== QUOTE) return undefined;
  const end = buf.indexOf(QUOTE, i + 1);
  if (end < 0 || end - i - 1 > MAX_VALUE) return undefined;
  const value = buf.toString("latin1", i + 1, end);
  // A finish value is a plain word; anything else (an escape, a quote in text) is not one.
  return /^[A-Za-z_.-]+$/.test(value) ? value : undefined;
}

const USAGE_OPEN = Buffer.from('"usage":{');
/** Bytes kept from the last usage object's start: every format's usage object is far smaller. */
const USAGE_WINDOW = 4096;

/**
 * The bytes from a relayed stream's last `"usage":{` on (up to USAGE_WINDOW), kept as they pass:
 * a usage chunk followed by more bytes than the relay's last chunks is still read.
 */
export function createUsageWatch(): { feed(chunk: Buffer): void; last(): Buffer | undefined } {
  let window: Buffer | undefined;
  let open = false;
  // As in the finish watch: only a chunk that did not end a line can split `"usage":{`.
  let carry: Buffer | undefined;
  const seamBytes = USAGE_OPEN.length - 1;
  return {
    feed(chunk) {
      const at = chunk.lastIndexOf(USAGE_OPEN);
      if (at >= 0) window = Buffer.from(chunk.subarray(at, at + USAGE_WINDOW));
      else {
        const seam = carry ? Buffer.concat([carry, chunk.subarray(0, seamBytes)]) : undefined;
        const s = seam ? seam.indexOf(USAGE_OPEN) : -1;
        if (seam && carry && s >= 0) window = Buffer.concat([seam.subarray(s, carry.length), chunk.subarray(0, USAGE_WINDOW)]);
        else if (open && window) window = Buffer.concat([window, chunk.subarray(0, USAGE_WINDOW - window.length)]);
      }
      open = window !== undefined && window.length < USAGE_WINDOW;
      carry = chunk.length === 0 || chunk[chunk.length - 1] === NEWLINE ? undefined : lastBytes(carry, chunk, seamBytes);
    },
    last: () => window,
  };
}

/** Both watches of a relayed stream, fed together: what its bytes said of its finish and usage. */
export function createEndingWatch(format: WireFormat): { feed(chunk: Buffer): void; heard(): { finish?: FinishReason; lastUsage?: Buffer } } {
  const finish = createFinishWatch(format);
  const usage = createUsageWatch();
  return {
    feed(chunk) {
      finish.feed(chunk);
      usage.feed(chunk);
    },
    heard() {
      const f = finish.finish();
      const u = usage.last();
      return { ...(f ? { finish: f } : {}), ...(u ? { lastUsage: u } : {}) };
    },
  };
}
