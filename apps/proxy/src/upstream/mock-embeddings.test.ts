import { describe, expect, it } from "vitest";
import { mockEmbeddings, mockRerank } from "./mock-embeddings.js";

type Vectors = { data: Array<{ index: number; embedding: number[] | string }>; usage: { prompt_tokens: number } };

describe("mockEmbeddings", () => {
  it("gives the same text the same unit vector, in floats or base64", () => {
    const floats = mockEmbeddings({ input: ["hello world", "bye"], dimensions: 5 }, "m") as unknown as Vectors;
    const b64 = mockEmbeddings({ input: "hello world", dimensions: 5, encoding_format: "base64" }, "m") as unknown as Vectors;
    const v = floats.data[0]!.embedding as number[];
    expect(v).toHaveLength(5);
    expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    expect(floats.data[1]!.embedding).not.toEqual(v);
    const buf = Buffer.from(b64.data[0]!.embedding as string, "base64");
    expect(Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4))).toEqual(v);
    expect(floats.usage.prompt_tokens).toBe(3);
  });

  it("reads token arrays as input", () => {
    const out = mockEmbeddings({ input: [[1, 2], [3]] }, "m") as unknown as Vectors;
    expect(out.data.map((d) => d.index)).toEqual([0, 1]);
  });
});

describe("mockRerank", () => {
  it("ranks by the query's words, keeps top_n, and leaves documents out when asked", () => {
    const out = mockRerank({ query: "green tea", documents: ["coffee", { text: "green tea leaves" }, "tea"], top_n: 2, return_documents: false }, "m", "r1");
    expect(out).toMatchObject({ id: "r1", model: "m", results: [{ index: 1 }, { index: 2 }] });
    expect((out.results as Array<Record<string, unknown>>)[0]).not.toHaveProperty("document");
  });
});
