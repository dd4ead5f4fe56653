import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Cancel } from "../cancel.js";
import type { DirectBody } from "../upstream/types.js";
import { relayDirect } from "./relay.js";
import { usageFromJsonTail, usageOfRelayedStream } from "./usage.js";

describe("usage read from the last bytes of an answer", () => {
  it("finds the usage object of a JSON body after multi-byte text, ignoring braces inside strings", () => {
    const body = JSON.stringify({
      choices: [{ message: { content: 'héllo — ✓ {"usage":1}' } }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, note: "a}b" },
    });
    expect(usageFromJsonTail(Buffer.from(body))).toEqual({ promptTokens: 3, completionTokens: 4, totalTokens: 7 });
    expect(usageFromJsonTail(Buffer.from('{"usage": {"input_tokens": 5, "output_tokens": 6}}'))).toEqual({
      promptTokens: 5,
      completionTokens: 6,
      totalTokens: 11,
    });
    expect(usageFromJsonTail(Buffer.from('{"choices":[]}'))).toBeUndefined();
    expect(usageFromJsonTail(Buffer.from('{"usage":{"prompt_tokens":'))).toBeUndefined();
  });

  it("finds the usage chunk of a chat stream", () => {
    const tail = Buffer.from(
      `data: {"choices":[{"delta":{"content":"ünïcode ✓"}}]}\n\n` +
        `data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":20,"total_tokens":32}}\n\n` +
        "data: [DONE]\n\n",
    );
    expect(usageOfRelayedStream(undefined, tail)).toEqual({ promptTokens: 12, completionTokens: 20, totalTokens: 32 });
    expect(usageOfRelayedStream(undefined, Buffer.from('data: {"choices":[]}\n\ndata: [DONE]\n\n'))).toBeUndefined();
  });

  it("takes Anthropic's input counts from message_start even when the whole stream came in one chunk", () => {
    const stream = Buffer.from(
      `event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":30,"cache_read_input_tokens":5,"output_tokens":1}}}\n\n` +
        `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}\n\n` +
        `event: message_stop\ndata: {"type":"message_stop"}\n\n`,
    );
    // The head is the tail: one chunk held it all.
    expect(usageOfRelayedStream(stream, stream)).toMatchObject({ promptTokens: 35, cachedTokens: 5, completionTokens: 9, totalTokens: 44 });
  });
});

describe("relayDirect", () => {
  it("waits for one drain however many held chunks overflow the client socket, and delivers them in order", async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, String.fromCharCode(65 + (i % 26))));
    chunks.push(Buffer.from("data: [DONE]\n\n"));
    let maxDrainListeners = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const body: DirectBody = {
        // Every chunk is already held when the relay attaches, as when headers and body came together.
        pipe(sink) {
          let i = 0;
          const push = () => {
            while (i < chunks.length) {
              const more = sink.data(chunks[i++]!);
              maxDrainListeners = Math.max(maxDrainListeners, res.listenerCount("drain"));
              if (!more && i >= 10) return;
            }
            sink.end();
          };
          this.resume = push;
          push();
        },
        resume() {},
        abort() {},
      };
      void relayDirect(body, res, "chat", new Cancel(), undefined).then(() => res.end());
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const received: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/" }, (res) => {
        res.pause();
        // A slow reader, so the proxy's socket fills up.
        setTimeout(() => {
          res.on("data", (c: Buffer) => received.push(c));
          res.on("end", resolve);
          res.resume();
        }, 100);
      });
      req.on("error", reject);
      req.end();
    });
    server.close();
    expect(Buffer.concat(received).equals(Buffer.concat(chunks))).toBe(true);
    expect(maxDrainListeners).toBe(1);
  });
});
