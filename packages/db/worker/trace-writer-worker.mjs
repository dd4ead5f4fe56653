// Writes traces to the database on a thread of its own, so the request path never pays for it.
// Plain JavaScript: it runs unchanged from src/ (tests) and dist/ (server).
import { parentPort, workerData } from "node:worker_threads";

const COLUMNS = ["id", "startedAt", "model", "keyId", "clientFormat", "backend", "backendFormat", "stream", "status", "attempts", "ttftMs", "durationMs", "promptTokens", "completionTokens", "error", "warnings", "captureLevel", "detail"];
const columnList = COLUMNS.map((c) => `"${c}"`).join(", ");

async function open({ provider, url }) {
  if (provider === "sqlite") {
    const { default: BetterSqlite3 } = await import("better-sqlite3");
    const db = new BetterSqlite3(url.replace(/^file:/, ""), { timeout: 5000 });
    // WAL with NORMAL sync: a killed process loses no committed trace; only a power cut could.
    db.pragma("synchronous = NORMAL");
    const stmt = db.prepare(`INSERT OR IGNORE INTO "Trace" (${columnList}) VALUES (${COLUMNS.map(() => "?").join(", ")})`);
    // Prisma reads SQLite DateTimes as ISO text with an explicit offset.
    const insert = db.transaction((rows) => {
      for (const r of rows) stmt.run(r.id, new Date(r.startedAt).toISOString().replace("Z", "+00:00"), r.model, r.keyId, r.clientFormat, r.backend, r.backendFormat, r.stream ? 1 : 0, r.status, r.attempts, r.ttftMs, r.durationMs, r.promptTokens, r.completionTokens, r.error, r.warnings, r.captureLevel, JSON.stringify(r.detail));
    });
    return { write: async (rows) => insert(rows), close: async () => db.close() };
  }
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection that breaks fails no write; the next query opens a new one.
  pool.on("error", () => undefined);
  return {
    write: async (rows) => {
      const values = [];
      const tuples = rows.map((r, i) => {
        values.push(r.id, new Date(r.startedAt), r.model, r.keyId, r.clientFormat, r.backend, r.backendFormat, r.stream, r.status, r.attempts, r.ttftMs, r.durationMs, r.promptTokens, r.completionTokens, r.error, r.warnings, r.captureLevel, JSON.stringify(r.detail));
        return `(${COLUMNS.map((_, j) => `$${i * COLUMNS.length + j + 1}`).join(", ")})`;
      });
      await pool.query(`INSERT INTO "Trace" (${columnList}) VALUES ${tuples.join(", ")} ON CONFLICT ("id") DO NOTHING`, values);
    },
    close: () => pool.end(),
  };
}

const target = await open(workerData);
parentPort.on("message", async (msg) => {
  if (msg.type === "write") {
    let count = 0;
    try {
      const rows = JSON.parse(msg.json);
      count = rows.length;
      await target.write(rows);
      parentPort.postMessage({ type: "written", batch: msg.batch, count });
    } catch (err) {
      parentPort.postMessage({ type: "failed", batch: msg.batch, count, message: String(err?.message ?? err) });
    }
  } else if (msg.type === "close") {
    await target.close();
    parentPort.postMessage({ type: "closed" });
  }
});
parentPort.postMessage({ type: "ready" });
