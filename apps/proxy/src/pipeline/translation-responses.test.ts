// The cross-format handler answering a Responses client from a chat backend's stream: item ids
// from the answer's own generator, and a client that hangs up right after the terminal event.

import { PassThrough, Writable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import type { Backend } from "../upstream/types.js";
import { createCrossFormatHandler } from "./translation.js";

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "up", choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`;

function fakeReply(): { reply: FastifyReply; text: () => string; raw: Writable } {
  let out = "";
  const raw = new Writable({
    write(c: Buffer, _enc, cb) {
      out += c.toString("utf8");
      cb();
    },
  });
  Object.assign(raw, { writeHead: () => raw, statusCode: 200 });
  const reply = { raw, hijack: () => undefined } as unknown as FastifyReply;
  return { reply, text: () => out, raw };
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error("timed out");
}

function handler() {
  let n = 0;
  return createCrossFormatHandler(
    {
      clientFormat: "responses",
      request: { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: true },
      requestedModel: "m",
      stream: true,
      warnings: [],
      responses: { id: "resp_abc", previousResponseId: null, newItemId: (prefix) => `${prefix}abc_${++n}` },
    },
    "chat",
  );
}

const backend = { route: { name: "b" } } as unknown as Backend;
const request = { id: "req-1" } as unknown as FastifyRequest;

describe("createCrossFormatHandler → Responses client", () => {
  it("a client hanging up after response.completed (before the upstream's [DONE]) is not counted as gone", async () => {
    const { reply, text, raw } = fakeReply();
    const body = new PassThrough();
    const controller = new AbortController();
    const done = handler().respond({
      backend,
      upstream: { status: 200, headers: { "content-type": "text/event-stream" }, body },
      request,
      reply,
      signal: controller.signal,
    });
    body.write(chunk({ role: "assistant", content: "" }));
    body.write(chunk({ content: "Hello" }));
    body.write(chunk({}, "stop"));
    body.write(usageChunk);
    await waitFor(() => text().includes("response.completed"));
    // The client leaves: the proxy aborts the upstream, whose body then errors.
    raw.destroy();
    controller.abort();
    body.destroy(new Error("aborted"));
    const out = await done;
    expect(out.clientGone).toBe(false);
    expect(out.usage).toEqual({ promptTokens: 3, completionTokens: 2, totalTokens: 5 });
    expect(text()).toContain('"id":"msg_abc_1"');
  });

  it("a client hanging up before the terminal event is gone", async () => {
    const { reply, text, raw } = fakeReply();
    const body = new PassThrough();
    const controller = new AbortController();
    const done = handler().respond({
      backend,
      upstream: { status: 200, headers: { "content-type": "text/event-stream" }, body },
      request,
      reply,
      signal: controller.signal,
    });
    body.write(chunk({ role: "assistant", content: "" }));
    body.write(chunk({ content: "Hel" }));
    await waitFor(() => text().includes("response.output_text.delta"));
    raw.destroy();
    controller.abort();
    body.destroy(new Error("aborted"));
    const out = await done;
    expect(out.clientGone).toBe(true);
    expect(text()).not.toContain("response.completed");
  });
});
