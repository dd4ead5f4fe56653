import { PassThrough, Writable } from "node:stream";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createChatStreamDecoder, createMessagesStreamEncoder, encodeMessagesPing } from "@yallmproxy/translate";
import { relayTranslatedStream } from "./relay-translated.js";
import { translateContext } from "./translate-context.js";

function sink(): { raw: ServerResponse; text: () => string } {
  let out = "";
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString("utf8");
      cb();
    },
  });
  return { raw: w as unknown as ServerResponse, text: () => out };
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe("relayTranslatedStream pings", () => {
  it("opens with message_start, not a ping, when the upstream is silent before its first chunk", async () => {
    const body = new PassThrough();
    const { raw, text } = sink();
    const relay = relayTranslatedStream({
      body,
      decoder: createChatStreamDecoder(),
      encoder: createMessagesStreamEncoder({ ctx: translateContext, model: "claude-x", inputTokens: 3 }),
      raw,
      signal: new AbortController().signal,
      ping: { intervalMs: 60, frame: encodeMessagesPing() },
    });
    await new Promise((r) => setTimeout(r, 250));
    body.write(chunk({ role: "assistant", content: "hi" }));
    body.write(chunk({}, "stop"));
    body.end("data: [DONE]\n\n");
    await relay;
    const events = [...text().matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe("message_start");
    expect(events.filter((e) => e === "message_start")).toHaveLength(1);
    expect(events.filter((e) => e === "ping").length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e !== "ping")).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });
});
