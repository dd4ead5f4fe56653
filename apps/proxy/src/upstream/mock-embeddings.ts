// The mock backend's embeddings and rerank answers: deterministic (the same text always gets the
// same vector and score), offline, and shaped like OpenAI's embeddings and vLLM's / Jina's rerank.

import { createHash } from "node:crypto";

const DEFAULT_DIMENSIONS = 8;
const MAX_DIMENSIONS = 4096;

/** The texts of an embeddings `input`: a string, strings, or token arrays (each read as its numbers). */
function inputTexts(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input)) return [];
  if (input.every((v) => typeof v === "number")) return [input.join(" ")];
  return input.map((v) => (typeof v === "string" ? v : Array.isArray(v) ? v.join(" ") : ""));
}

/** A unit vector drawn from the text's SHA-256 stream. */
function vectorOf(text: string, dimensions: number): Float32Array {
  const out = new Float32Array(dimensions);
  let block = Buffer.alloc(0);
  for (let i = 0, counter = 0; i < dimensions; i++) {
    if ((i * 2) % 32 === 0) block = createHash("sha256").update(`${counter++}:${text}`).digest();
    out[i] = block.readUInt16BE((i * 2) % 32) / 32767.5 - 1;
  }
  const norm = Math.hypot(...out) || 1;
  for (let i = 0; i < dimensions; i++) out[i] = out[i]! / norm;
  return out;
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function mockEmbeddings(body: Record<string, unknown>, model: string): Record<string, unknown> {
  const texts = inputTexts(body.input);
  const asked = typeof body.dimensions === "number" ? Math.floor(body.dimensions) : DEFAULT_DIMENSIONS;
  const dimensions = Math.min(Math.max(asked, 1), MAX_DIMENSIONS);
  const base64 = body.encoding_format === "base64";
  const data = texts.map((text, index) => {
    const v = vectorOf(text, dimensions);
    const embedding = base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") : Array.from(v);
    return { object: "embedding", index, embedding };
  });
  const tokens = texts.reduce((n, t) => n + Math.max(1, words(t).length), 0);
  return { object: "list", data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function documentText(doc: unknown): string {
  if (typeof doc === "string") return doc;
  const text = typeof doc === "object" && doc !== null ? (doc as { text?: unknown }).text : undefined;
  return typeof text === "string" ? text : "";
}

/** Relevance: the share of the query's words the document holds, nudged by its length so ties break the same way. */
function relevance(query: string[], doc: string[]): number {
  if (query.length === 0) return 0;
  const have = new Set(doc);
  const hits = query.filter((w) => have.has(w)).length;
  return Math.round((hits / query.length) * 0.9 * 1e6 + 1e5 / (1 + doc.length)) / 1e6;
}

export function mockRerank(body: Record<string, unknown>, model: string, id: string): Record<string, unknown> {
  const query = words(typeof body.query === "string" ? body.query : "");
  const docs = Array.isArray(body.documents) ? body.documents.map(documentText) : [];
  const scored = docs.map((text, index) => ({ index, text, score: relevance(query, words(text)) }));
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  const topN = typeof body.top_n === "number" && body.top_n >= 1 ? Math.floor(body.top_n) : scored.length;
  const withDocuments = body.return_documents !== false;
  const results = scored.slice(0, topN).map((r) => ({
    index: r.index,
    relevance_score: r.score,
    ...(withDocuments ? { document: { text: r.text } } : {}),
  }));
  const tokens = query.length + docs.reduce((n, d) => n + words(d).length, 0);
  return { id, model, usage: { total_tokens: tokens }, results };
}
