// Per-chunk translation cost, measured without any I/O: a recorded-shape chat stream is decoded and
// re-encoded as a Responses stream and as an Anthropic stream, many times over.
import { createParser } from "eventsource-parser";
import { createChatStreamDecoder, createMessagesStreamEncoder, createResponsesStreamEncoder, decodeChatRequest } from "../packages/translate/dist/index.js";

const ctx = { now: () => 1700000000, newId: (p) => `${p}bench` };

function chatStream(chunks) {
  const c = (delta, finish = null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-b", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const frames = [c({ role: "assistant", content: "" })];
  for (let i = 0; i < chunks; i++) frames.push(c({ content: ` word${i}` }));
  frames.push(c({}, "stop"));
  frames.push(
    `data: ${JSON.stringify({ id: "chatcmpl-b", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 5, completion_tokens: chunks, total_tokens: chunks + 5 } })}\n\n`,
  );
  frames.push("data: [DONE]\n\n");
  return frames.join("");
}

export function measureTranslation({ chunks = 200, rounds = 300 } = {}) {
  const text = chatStream(chunks);
  const request = decodeChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }).value;
  const targets = {
    responses: () => createResponsesStreamEncoder({ ctx, request, model: "m" }),
    messages: () => createMessagesStreamEncoder({ ctx, model: "m" }),
  };
  const out = {};
  for (const [name, makeEncoder] of Object.entries(targets)) {
    const run = () => {
      const decoder = createChatStreamDecoder();
      const encoder = makeEncoder();
      let bytes = 0;
      const parser = createParser({
        onEvent: (e) => {
          for (const ev of decoder.push({ data: e.data })) bytes += encoder.push(ev).length;
        },
      });
      parser.feed(text);
      for (const ev of decoder.end()) bytes += encoder.push(ev).length;
      bytes += encoder.end().length;
      return bytes;
    };
    for (let i = 0; i < 30; i++) run();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) run();
    const ns = Number(process.hrtime.bigint() - t0);
    out[name] = { perChunkUs: ns / rounds / (chunks + 3) / 1000 };
  }
  // The same parse with no translation: the floor of reading a stream at all.
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    const parser = createParser({ onEvent: (e) => JSON.parse(e.data === "[DONE]" ? "null" : e.data) });
    parser.feed(text);
  }
  out.parseOnly = { perChunkUs: Number(process.hrtime.bigint() - t0) / rounds / (chunks + 3) / 1000 };
  return out;
}
