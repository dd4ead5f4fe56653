// Writes traces to the database on a thread of its own, so the request path never pays for it.
// Plain JavaScript: it runs unchanged from src/ (tests) and dist/ (server).
import { parentPort, workerData } from "node:worker_threads";

// The order of the values in each row the main thread sends.
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
      for (const r of rows) {
        r[1] = new Date(r[1]).toISOString().replace("Z", "+00:00");
        r[7] = r[7] ? 1 : 0;
        stmt.run(r);
      }
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
        r[1] = new Date(r[1]);
        values.push(...r);
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
      const rows = msg.rows;
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
