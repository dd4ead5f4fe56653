import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { gigachatStreamToChat } from "./stream-mapper.js";

const ids = { id: "chatcmpl-1", created: 1, model: "m", random: () => "r" };

/** What came out before the stream ended or broke. */
function run(chunks: string[]): Promise<{ out: string; error?: Error }> {
  return new Promise((resolve) => {
    let out = "";
    const t = gigachatStreamToChat(ids);
    t.on("data", (c: Buffer) => (out += String(c)));
    t.on("end", () => resolve({ out }));
    t.on("error", (error) => resolve({ out, error }));
    for (const c of chunks) t.write(Buffer.from(c));
    t.end();
  });
}

describe("gigachatStreamToChat", () => {
  it("rewrites events split anywhere (even inside a UTF-8 character), keeps [DONE]", async () => {
    const event = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Привет" } }] })}\r\n\r\n: comment\n\ndata: [DONE]\n\n`;
    const bytes = Buffer.from(event);
    // The cut at byte 50 falls inside "П" (two bytes in UTF-8).
    let out = "";
    const src = Readable.from([bytes.subarray(0, 46), bytes.subarray(46, 50), bytes.subarray(50)]);
    for await (const c of src.pipe(gigachatStreamToChat(ids))) out += String(c);
    expect(out).toBe(
      `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "Привет" }, finish_reason: null }] })}\n\ndata: [DONE]\n\n`,
    );
  });

  it("turns an error event into Chat's error event", async () => {
    const { out } = await run([`data: {"status":500,"message":"internal"}\n\n`]);
    expect(JSON.parse(out.slice(6))).toMatchObject({ error: { message: "GigaChat: internal", code: "500" } });
  });

  it("breaks with a protocol error on an event that is not JSON, and on one too long", async () => {
    const bad = await run([`data: {"choices":[]}\n\ndata: nope\n\n`]);
    expect(bad.out).toContain("chat.completion.chunk");
    expect(bad.error).toMatchObject({ name: "UpstreamError", kind: "protocol" });
    const long = await run([`data: "${"x".repeat(3 * 1024 * 1024)}`, "x".repeat(2 * 1024 * 1024)]);
    expect(long.error?.message).toContain("longer than");
  });
});
