// What writing one trace row costs the trace writer's thread at the default capture (`metadata`): a
// plain success (left out of the text index) and an errored trace (indexed), written in batches as
// the proxy's trace sink sends them, on a fresh SQLite file. CPU is the whole process's (the writer
// is a worker thread; this script's own share, building and posting rows, is the same for both).
// `node bench/trace-write.mjs [rows=20000] [batch=64]` (after `npm run build`).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TraceWriter, openDatabase } from "../packages/db/dist/index.js";

const rows = Number(process.argv[2] ?? 20000);
const batchSize = Number(process.argv[3] ?? 64);
const db = await openDatabase(`file:${join(mkdtempSync(join(tmpdir(), "yallmp-bench-traces-")), "state.db")}`);
const writer = new TraceWriter(db);
const detail = JSON.stringify({
  attempts: [{ backend: "bench", attempt: 0, status: 200, outcome: "answered", durationMs: 61.8, reason: "weighted" }],
  timings: { receivedAt: new Date().toISOString(), upstreamConnectedMs: 0.4, firstByteMs: 0.9, firstTokenMs: 1, doneMs: 1.2 },
  captureLevel: "metadata",
});
let n = 0;
const row = (errored) => ({
  id: `bench-${String(n++).padStart(10, "0")}`,
  startedAt: new Date(Date.now() + n),
  model: "bench",
  keyId: null,
  clientFormat: "chat",
  backend: "bench",
  backendFormat: "chat",
  stream: false,
  status: errored ? 502 : 200,
  attempts: 1,
  ttftMs: 1,
  durationMs: 1.2,
  promptTokens: 12,
  completionTokens: 40,
  error: errored ? "upstream closed the connection" : null,
  warnings: 0,
  captureLevel: "metadata",
  finishReason: errored ? null : "stop",
  toolCalls: 0,
  detail,
});

async function measure(label, errored) {
  const batches = Array.from({ length: Math.ceil(rows / batchSize) }, () => Array.from({ length: batchSize }, () => row(errored)));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const b of batches) await writer.write(b);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  const total = batches.length * batchSize;
  console.log(
    `${label.padEnd(36)} ${((used.user + used.system) / total).toFixed(1).padStart(6)} µs CPU a row, ${((wall * 1000) / total).toFixed(1).padStart(6)} µs wall`,
  );
}

await measure("warm-up", false);
for (let round = 0; round < 2; round++) {
  await measure("plain success (not text-indexed)", false);
  await measure("errored (text-indexed)", true);
}
await writer.close();
await db.close();
