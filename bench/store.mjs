// Response-store cost: a write (what the client waits for before its terminal event, and the
// event-loop time it takes from everything else) and a chained read with a cold cache (what a
// `previous_response_id` turn pays on another replica), on SQLite and on PostgreSQL.
// `node bench/store.mjs` runs it alone (after `npm run build`).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { DatabaseResponseStore, openDatabase } from "../packages/db/dist/index.js";

const pct = (values, p) => {
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

function sample(id, previousResponseId) {
  const now = Date.now();
  const text = "The quick brown fox jumps over the lazy dog. ".repeat(20);
  return {
    id,
    ownerKeyId: "bench",
    model: "m",
    backend: "b",
    status: "completed",
    request: { model: "m", store: true, instructions: "be helpful" },
    inputItems: [{ type: "message", id: `msg_in_${id}`, role: "user", content: [{ type: "input_text", text }] }],
    outputItems: [{ type: "message", id: `msg_out_${id}`, role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] }],
    response: { id, object: "response", status: "completed", output: [] },
    usage: { input_tokens: 200, output_tokens: 200, total_tokens: 400 },
    previousResponseId,
    createdAt: now,
    expiresAt: now + 3600_000,
  };
}

async function measureOne(db, { writes = 400, chains = 100, depth = 5 } = {}) {
  const writer = new DatabaseResponseStore(db, { maxMemoryEntries: 100 });
  // Warm: the first writes start the writer and compile its statements.
  for (let i = 0; i < 20; i++) await writer.put(sample(`resp_warm${i}_${Date.now()}`, null));
  const writeMs = [];
  const loop0 = performance.eventLoopUtilization();
  for (let i = 0; i < writes; i++) {
    const t0 = process.hrtime.bigint();
    await writer.put(sample(`resp_w${i}_${Date.now()}`, null));
    writeMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  // Time the event loop was busy per write (serializing, the driver's work if it runs here).
  const writeLoopMs = performance.eventLoopUtilization(loop0).active / writes;
  const tips = [];
  for (let c = 0; c < chains; c++) {
    let prev = null;
    for (let d = 0; d < depth; d++) {
      const id = `resp_c${c}_${d}_${Date.now()}`;
      await writer.put(sample(id, prev));
      prev = id;
    }
    tips.push(prev);
  }
  const readMs = [];
  for (const tip of tips) {
    const reader = new DatabaseResponseStore(db, { maxMemoryEntries: 100 });
    const t0 = process.hrtime.bigint();
    for (let r = await reader.get(tip); r?.previousResponseId;) r = await reader.get(r.previousResponseId);
    readMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await reader.close();
  }
  await writer.close();
  return { writeP50: pct(writeMs, 50), writeP99: pct(writeMs, 99), writeLoopMs, chainP50: pct(readMs, 50), chainP99: pct(readMs, 99), depth };
}

export async function measureStores() {
  const out = {};
  const sqlite = await openDatabase(`file:${join(mkdtempSync(join(tmpdir(), "yallmp-bench-db-")), "bench.db")}`);
  out.sqlite = await measureOne(sqlite);
  await sqlite.close();
  const adminUrl = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const name = `yallmp_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const db = await openDatabase(url.toString());
    out.postgresql = await measureOne(db);
    await db.close();
    await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
  } catch (err) {
    out.postgresql = { error: err.message };
  } finally {
    await admin.end().catch(() => {});
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, r] of Object.entries(await measureStores())) {
    if (r.error) console.log(`${name}: not measured: ${r.error}`);
    else
      console.log(
        `${name}: write p50 ${r.writeP50.toFixed(3)} ms, p99 ${r.writeP99.toFixed(3)} ms, event loop ${(r.writeLoopMs * 1000).toFixed(0)} µs per write; chained read (depth ${r.depth}) p50 ${r.chainP50.toFixed(3)} ms, p99 ${r.chainP99.toFixed(3)} ms`,
      );
  }
}
