import { decodeMessagesRequest, decodeResponsesRequest, encodeChatRequest, estimateInputTokens, scanJson } from "@yallmproxy/translate";
import { describe, expect, it } from "vitest";
import { agentBody } from "../../../../bench/agent-body.mjs";
import { type BodyBytes, joinedBody } from "../upstream/body-bytes.js";
import { SKELETON_MIN_STRING, opaqueTextAt, parseSkeleton, realTextLength, restoredBytes, restoredValue } from "./skeleton-intake.js";

type Format = "messages" | "responses";

const decode = (format: Format, body: unknown) =>
  (format === "messages" ? decodeMessagesRequest(body) : decodeResponsesRequest(body as Record<string, unknown>)).value;
const encode = (format: Format, body: unknown) => encodeChatRequest(decode(format, body), { model: "up", supportsReasoning: true }).value;

const joined = (bytes: BodyBytes | undefined) => bytes && joinedBody(bytes).toString("utf8");

/** The full path: parse, decode, encode, serialize. */
const fullPath = (format: Format, text: string): string => JSON.stringify(encode(format, JSON.parse(text)));

/** The skeleton path: scan, placeholders, parse, decode, encode, bytes put back. */
function skeletonPath(format: Format, text: string): { bytes: string; stoodIn: number; byBytes: boolean } {
  const raw = Buffer.from(text);
  const scan = scanJson(raw, { maxDepth: 128, longStringBytes: SKELETON_MIN_STRING, longStringAt: opaqueTextAt(format) });
  if (!scan.ok) throw new Error("not JSON");
  const built = parseSkeleton(raw, scan.longStrings);
  if (!built) throw new Error("skeleton did not parse");
  const body = encode(format, built.parsed);
  const bytes = restoredBytes(built.skeleton, body);
  return {
    bytes: bytes ? joinedBody(bytes).toString("utf8") : JSON.stringify(restoredValue(built.skeleton, body)),
    stoodIn: scan.longStrings.length / 2,
    byBytes: bytes !== undefined,
  };
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Quotes, backslash runs, escapes, separators JSON leaves alone and those it escapes, surrogates
// (paired and lone), non-ASCII, and text that looks like a placeholder.
const PIECES = [
  '"',
  "\\",
  '\\"',
  "\\\\",
  "\n",
  "\t",
  "\u0000",
  "\u001f",
  "\u2028",
  "\u00e9",
  "😀",
  "\ud800",
  "\udc00",
  "yLp",
  "yLp00x0q",
  "x12q",
  "}",
  "]",
  '","',
  " ",
  "word ",
];

function adversarial(next: () => number, min: number): string {
  let s = "";
  while (s.length < min) s += PIECES[Math.floor(next() * PIECES.length)]!;
  return next() < 0.1 ? " ".repeat(min) : s;
}

function messagesBody(next: () => number): Record<string, unknown> {
  const t = () => adversarial(next, 200 + Math.floor(next() * 600));
  return {
    model: "m",
    max_tokens: 100,
    system:
      next() < 0.5
        ? t()
        : [
            { type: "text", text: t() },
            { type: "text", text: t(), cache_control: { type: "ephemeral" } },
          ],
    messages: [
      { role: "user", content: t() },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: t(), signature: "sig" },
          { type: "text", text: t() },
          { type: "text", text: t() },
          { type: "tool_use", id: "tu_1", name: "Read", input: { path: t() } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "tu_1", content: t() },
          {
            type: "tool_result",
            tool_use_id: "tu_2",
            content: [
              { type: "text", text: t() },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo".repeat(40) } },
            ],
          },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA".repeat(100) } },
          { type: "document", source: { type: "text", media_type: "text/plain", data: t() } },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x".repeat(60) } },
          { type: "text", text: t() },
        ],
      },
      { role: "assistant", content: t() },
      { role: "user", content: [{ type: "text", text: "short" }] },
    ],
  };
}

function responsesBody(next: () => number): Record<string, unknown> {
  const t = () => adversarial(next, 200 + Math.floor(next() * 600));
  return {
    model: "m",
    store: false,
    instructions: t(),
    input:
      next() < 0.2
        ? t()
        : [
            { type: "message", role: "developer", content: t() },
            {
              type: "message",
              role: "user",
              content: [
                { type: "input_text", text: t() },
                { type: "input_image", image_url: `data:image/png;base64,${"AAAA".repeat(100)}` },
              ],
            },
            {
              type: "reasoning",
              id: "rs_1",
              summary: [
                { type: "summary_text", text: t() },
                { type: "summary_text", text: t() },
              ],
              content: [{ type: "reasoning_text", text: t() }],
            },
            {
              type: "message",
              role: "assistant",
              content: [
                { type: "output_text", text: t() },
                { type: "output_text", text: t() },
              ],
            },
            { type: "message", role: "assistant", content: t() },
            { type: "function_call", call_id: "c1", name: "Read", arguments: JSON.stringify({ path: t() }) },
            { type: "function_call_output", call_id: "c1", output: t() },
            { type: "function_call_output", call_id: "c2", output: [{ type: "input_text", text: t() }] },
            { type: "message", role: "user", content: t() },
          ],
  };
}

describe("translation on a skeleton", () => {
  it("sends exactly the bytes of the full path for the agent bodies", () => {
    for (const format of ["messages", "responses"] as const) {
      for (const [size, seed] of [
        [20_000, 1],
        [100_000, 2],
        [1 << 20, 3],
      ] as const) {
        const text = JSON.stringify(agentBody(format, size, { seed }));
        const s = skeletonPath(format, text);
        expect(s.stoodIn).toBeGreaterThan(size > 50_000 ? 10 : 0);
        expect(s.byBytes).toBe(true);
        expect(s.bytes === fullPath(format, text)).toBe(true);
      }
    }
  });

  it("sends exactly the bytes of the full path for hundreds of bodies of adversarial strings on every opaque path", () => {
    const next = rng(5);
    let stoodIn = 0;
    for (let round = 0; round < 300; round++) {
      const format = round % 2 === 0 ? "messages" : "responses";
      const text = JSON.stringify(format === "messages" ? messagesBody(next) : responsesBody(next));
      const s = skeletonPath(format, text);
      stoodIn += s.stoodIn;
      expect({ round, bytes: s.bytes }).toEqual({ round, bytes: fullPath(format, text) });
    }
    expect(stoodIn).toBeGreaterThan(2000);
  });

  it("stands in for nothing under tool inputs, arguments, schemas or image URLs", () => {
    const long = "z".repeat(400);
    const text = JSON.stringify({
      model: "m",
      max_tokens: 1,
      tools: [{ name: "t", description: long, input_schema: { type: "object", description: long } }],
      messages: [{ role: "assistant", content: [{ type: "tool_use", id: "a", name: "t", input: { text: long, content: long } }] }],
    });
    expect(skeletonPath("messages", text).stoodIn).toBe(0);
    const r = JSON.stringify({
      model: "m",
      store: false,
      input: [
        { type: "function_call", call_id: "c", name: "t", arguments: long },
        { type: "message", role: "user", content: [{ type: "input_image", image_url: `data:image/png;base64,${long}` }] },
      ],
    });
    expect(skeletonPath("responses", r).stoodIn).toBe(0);
  });

  it("estimates a Messages prompt's size on the skeleton as the full parse does, a few percent high at most", () => {
    const next = rng(11);
    const bodies = [
      JSON.stringify(agentBody("messages", 60_000)),
      `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"${"a\\/b \\u00e9 \\ud83d\\ude00 \\n ".repeat(30)}"}]}`,
    ];
    for (let i = 0; i < 120; i++) bodies.push(JSON.stringify(messagesBody(next)));
    for (const text of bodies) {
      const raw = Buffer.from(text);
      const scan = scanJson(raw, { maxDepth: 128, longStringBytes: SKELETON_MIN_STRING, longStringAt: opaqueTextAt("messages") });
      if (!scan.ok) throw new Error("not JSON");
      const built = parseSkeleton(raw, scan.longStrings)!;
      expect(scan.longStrings.length).toBeGreaterThan(0);
      const onSkeleton = estimateInputTokens(decode("messages", built.parsed), realTextLength(built.skeleton));
      const full = estimateInputTokens(decode("messages", JSON.parse(text)));
      // Escapes count as written (`\\n` as two characters): high by their share of the text, which
      // in an agent's history (source files, with a `\\n` a line) is a few percent.
      expect(onSkeleton).toBeGreaterThanOrEqual(full);
      if (text === bodies[0]) expect(onSkeleton).toBeLessThanOrEqual(Math.ceil(full * 1.06));
    }
  });

  it("keeps the client's own escapes, which mean the same text", () => {
    const inner = `${"a\\/b \\u00e9 \\ud83d\\ude00 ".repeat(30)}end`;
    const text = `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"${inner}"}]}`;
    const s = skeletonPath("messages", text);
    expect(s.stoodIn).toBe(1);
    expect(s.bytes).toContain(inner);
    expect(JSON.parse(s.bytes)).toEqual(JSON.parse(fullPath("messages", text)));
  });

  it("puts strings back in the body when a placeholder was serialized a second time", () => {
    const raw = Buffer.from(`{"a":"${"q".repeat(300)}"}`);
    const built = parseSkeleton(raw, [6, 306])!;
    const marker = (built.parsed as { a: string }).a;
    expect(restoredBytes(built.skeleton, { args: JSON.stringify({ x: marker }) })).toBeUndefined();
    expect(joined(restoredBytes(built.skeleton, { text: `${marker}!` }))).toBe(`{"text":"${"q".repeat(300)}!"}`);
    expect(restoredValue(built.skeleton, { t: [`<${marker}>`] })).toEqual({ t: [`<${"q".repeat(300)}>`] });
    // Another request's placeholder (another nonce) is client text, left as it is.
    const other = parseSkeleton(raw, [6, 306])!;
    expect(joined(restoredBytes(other.skeleton, { text: marker }))).toBe(`{"text":"${marker}"}`);
  });

  it("gives a large body as pieces of the client's buffer, a small one joined", () => {
    const big = "q".repeat(300_000);
    const raw = Buffer.from(`{"a":"${big}"}`);
    const built = parseSkeleton(raw, [6, 6 + big.length])!;
    const marker = (built.parsed as { a: string }).a;
    const bytes = restoredBytes(built.skeleton, { text: marker, n: 1 })!;
    expect(Buffer.isBuffer(bytes)).toBe(false);
    // The long string is not copied: its piece shares the client's memory.
    expect((bytes as Buffer[]).some((p) => p.buffer === raw.buffer && p.length === big.length)).toBe(true);
    expect(joined(bytes)).toBe(`{"text":"${big}","n":1}`);
    const small = parseSkeleton(Buffer.from(`{"a":"${"q".repeat(300)}"}`), [6, 306])!;
    expect(Buffer.isBuffer(restoredBytes(small.skeleton, { text: (small.parsed as { a: string }).a }))).toBe(true);
  });
});
