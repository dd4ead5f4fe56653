// Per-chunk cost of response modules (parse_tags, swap_reasoning_content) on top of decoding a chat
// stream, without I/O: vLLM-shaped GLM and Qwen3-Coder streams with raw tags (reasoning, text, tool
// calls; Qwen's arguments streamed), decoded with and without the modules. Best of many runs.
// Run after a build: `npm run build -w @yallmproxy/translate && node bench/response-modules.mjs`.

import { createChatStreamDecoder, createChatStreamEncoder, responseModulesOf, withResponseModules } from "../packages/translate/dist/index.js";

const ctx = { now: () => 1700000000, newId: (p) => `${p}bench` };
const noTemplates = (path) => ({ error: `no ${path}` });

function frames(tokens) {
  const c = (delta, finish = null) =>
    JSON.stringify({
      id: "chatcmpl-b",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  return [c({ role: "assistant", content: "" }), ...tokens.map((t) => c({ content: t })), c({ content: "" }, "stop"), "[DONE]"];
}

const words = (n, w) => Array.from({ length: n }, (_, i) => ` ${w}${i}`);
const glm = frames([
  "<think>",
  ...words(150, "thought"),
  "</think>",
  ...words(150, "answer"),
  "<tool_call>",
  "get",
  "_weather",
  "\n",
  "<arg_key>",
  "city",
  "</arg_key>",
  "\n",
  "<arg_value>",
  "Paris",
  "</arg_value>",
  "\n",
  "</tool_call>",
]);
const qwen = frames([
  ...words(150, "thought"),
  "</think>",
  "\n\n",
  "<tool_call>",
  "\n",
  "<",
  "function",
  "=write",
  "_file",
  ">",
  "\n",
  "<",
  "parameter",
  "=",
  "content",
  ">",
  "\n",
  ...words(150, "line"),
  "\n",
  "</",
  "parameter",
  ">",
  "\n",
  "</",
  "function",
  ">",
  "\n",
  "</tool_call>",
]);

const cases = {
  "glm parse_tags": { stream: glm, section: { response: ["parse_tags"] } },
  "qwen parse_tags (start_in_think, streamed args)": {
    stream: qwen,
    section: { response: ["parse_tags"], parse_tags: { start_in_think: true, stream_tool_calls: true, tool_parser: "qwen_xml" } },
  },
  "glm parse_tags + swap_reasoning_content": { stream: glm, section: { response: ["parse_tags", "swap_reasoning_content"] } },
};

function best(fn, reps) {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    fn();
    const ns = Number(process.hrtime.bigint() - t);
    if (ns < min) min = ns;
  }
  return min;
}

function run(datas, makeDecoder, encode = false) {
  const decoder = makeDecoder();
  const encoder = encode ? createChatStreamEncoder(ctx, { model: "m", includeUsage: false }) : undefined;
  let n = 0;
  const take = (events) => {
    n += events.length;
    if (encoder) for (const ev of events) n += encoder.push(ev).length;
  };
  for (const data of datas) take(decoder.push({ data }));
  take(decoder.end());
  return encoder ? n + encoder.end().length : n;
}

export function measureResponseModules({ reps = 400 } = {}) {
  const out = {};
  for (const [name, { stream, section }] of Object.entries(cases)) {
    const setup = responseModulesOf(section, true, noTemplates);
    const plain = () => createChatStreamDecoder();
    const withModules = () => withResponseModules(createChatStreamDecoder(), setup.modules, ctx, []);
    for (let i = 0; i < 50; i++) (run(stream, plain), run(stream, withModules));
    const base = best(() => run(stream, plain), reps);
    const modules = best(() => run(stream, withModules), reps);
    // A Chat client of a model with modules is answered through the hub (decode, modules, encode), not relayed.
    const hub = best(() => run(stream, withModules, true), reps);
    const perChunk = (ns) => ns / stream.length / 1000;
    out[name] = { chunks: stream.length, decodeUsPerChunk: perChunk(base), modulesUsPerChunk: perChunk(modules - base), chatHubUsPerChunk: perChunk(hub) };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, r] of Object.entries(measureResponseModules())) {
    console.log(
      `${name.padEnd(48)} ${String(r.chunks).padStart(4)} chunks  decode ${r.decodeUsPerChunk.toFixed(2)} µs/chunk  modules +${r.modulesUsPerChunk.toFixed(2)} µs/chunk  chat→hub→chat ${r.chatHubUsPerChunk.toFixed(2)} µs/chunk`,
    );
  }
}
