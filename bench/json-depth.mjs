// Cost of the request-body nesting check (jsonDeeperThan) on a 1 MB agent-style chat body, beside
// JSON.parse of the same text. Run after a build: `npm run build -w @yallmproxy/translate && node bench/json-depth.mjs`.
// Best of many runs, so other load on the machine shows less.

import { DEFAULT_MAX_JSON_DEPTH, jsonDeeperThan } from "../packages/translate/dist/index.js";

// A long history: user turns, tool calls with escaped JSON arguments, tool results holding code.
const code = 'function f(a, b) {\n  return { "x": [a, b], "y": "quoted \\"text\\"" };\n}\n'.repeat(8);
const messages = [{ role: "system", content: "You are a coding agent. ".repeat(200) }];
for (let i = 0; JSON.stringify(messages).length < 1024 * 1024; i++) {
  messages.push({ role: "user", content: [{ type: "text", text: `Please fix the bug in file ${i}.ts, the test says: expected [1,2] got {"a":1}` }] });
  messages.push({
    role: "assistant",
    content: null,
    tool_calls: [
      { id: `call_${i}`, type: "function", function: { name: "read_file", arguments: JSON.stringify({ path: `src/${i}.ts`, opts: { lines: [1, 200] } }) } },
    ],
  });
  messages.push({ role: "tool", tool_call_id: `call_${i}`, content: code });
}
const body = JSON.stringify({
  model: "mock",
  stream: true,
  tools: [{ type: "function", function: { name: "read_file", parameters: { type: "object", properties: { path: { type: "string" } } } } }],
  messages,
});

function best(fn, reps = 200) {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    fn();
    const us = Number(process.hrtime.bigint() - t) / 1000;
    if (us < min) min = us;
  }
  return min;
}

for (let w = 0; w < 100; w++) jsonDeeperThan(body, DEFAULT_MAX_JSON_DEPTH);
const scan = best(() => jsonDeeperThan(body, DEFAULT_MAX_JSON_DEPTH));
const parse = best(() => JSON.parse(body), 50);
console.log(`body ${body.length} bytes, ${messages.length} messages`);
console.log(`nesting check ${scan.toFixed(0)} µs, JSON.parse ${parse.toFixed(0)} µs (best of runs)`);
