// Benchmark upstream: a minimal OpenAI-compatible chat server on loopback. Non-streaming answers are
// one fixed JSON body; streaming answers are a fixed SSE stream of 20 content chunks, usage and [DONE].
// A body with `"user":"bench-slow"` gets its headers after 10 ms and a chunk every 5 ms (the soak's
// aborting clients leave such streams before and while they run).
import { createServer } from "node:http";

const created = 1700000000;
const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created,
  model: "bench-model",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "The quick brown fox jumps over the lazy dog. ".repeat(4), refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 },
});
const chunk = (delta, finish = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created, model: "bench-model", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
const frames = [chunk({ role: "assistant", content: "" })];
for (let i = 0; i < 20; i++) frames.push(chunk({ content: ` word${i}` }));
frames.push(chunk({}, "stop"));
frames.push(
  `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created, model: "bench-model", choices: [], usage: { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 } })}\n\n`,
);
frames.push("data: [DONE]\n\n");
const stream = frames.join("");

function slowStream(res) {
  let i = 0;
  let timer;
  const next = () => {
    if (res.destroyed) return;
    if (i === frames.length) return res.end();
    res.write(frames[i++]);
    timer = setTimeout(next, 5);
  };
  timer = setTimeout(() => {
    if (res.destroyed) return;
    res.writeHead(200, { "content-type": "text/event-stream" });
    next();
  }, 10);
  res.on("close", () => clearTimeout(timer));
}

const server = createServer((req, res) => {
  const parts = [];
  req.on("data", (c) => parts.push(c));
  req.on("end", () => {
    const body = Buffer.concat(parts).toString();
    if (body.includes('"user":"bench-slow"')) {
      slowStream(res);
    } else if (body.includes('"stream":true')) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Written as separate chunks, as a real server flushes them.
      for (const f of frames) res.write(f);
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(completion) });
      res.end(completion);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.send?.({ port: server.address().port, streamBytes: stream.length });
});
