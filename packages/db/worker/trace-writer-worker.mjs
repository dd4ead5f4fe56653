// Writes traces (and the usage ledger's statements) to the database on a thread of its own, so the
// request path never pays for it.
// Plain JavaScript: it runs unchanged from src/ (tests) and dist/ (server).
import { parentPort, workerData } from "node:worker_threads";

// The Trace model's columns, from the generated client, in the order of the values of each row.
const COLUMNS = workerData.columns;
const columnList = COLUMNS.map((c) => `"${c}"`).join(", ");

const [LEVEL, ERROR, STATUS, ATTEMPTS, WARNINGS, DETAIL] = ["captureLevel", "error", "status", "attempts", "warnings", "detail"].map((c) => COLUMNS.indexOf(c));
// Which traces the text index holds: the predicate of trace-store.ts's INDEXED, kept the same.
const searchable = (r) => r[LEVEL] !== "metadata" || r[ERROR] != null || r[STATUS] == null || r[STATUS] >= 400 || r[ATTEMPTS] > 1 || r[WARNINGS] > 0;

// Prisma reads SQLite DateTimes as ISO text with an explicit offset, and Booleans as 0 and 1.
const sqliteValue = (v) => (v instanceof Date ? v.toISOString().replace("Z", "+00:00") : v === true ? 1 : v === false ? 0 : v);

async function open({ provider, url }) {
  if (provider === "sqlite") {
    const { default: BetterSqlite3 } = await import("better-sqlite3");
    const db = new BetterSqlite3(url.replace(/^file:/, ""), { timeout: 5000 });
    // WAL with NORMAL sync: a killed process loses no committed trace; only a power cut could.
    db.pragma("synchronous = NORMAL");
    const stmt = db.prepare(`INSERT OR IGNORE INTO "Trace" (${columnList}) VALUES (${COLUMNS.map(() => "?").join(", ")})`);
    // A searchable trace's text goes into the FTS5 index here, not by a trigger (migration
    // 20261204000000): a trigger's sub-program ran for every row, plain successes too.
    const search = db.prepare(`INSERT INTO "TraceSearch"(rowid, "detail") VALUES (?, ?)`);
    const insert = db.transaction((rows) => {
      for (const r of rows) {
        const { changes, lastInsertRowid } = stmt.run(r.map(sqliteValue));
        if (changes > 0 && searchable(r)) search.run(lastInsertRowid, r[DETAIL]);
      }
    });
    // The ledger's statements differ only by their row count: a few are kept prepared.
    const prepared = new Map();
    const statement = (sql) => {
      let s = prepared.get(sql);
      if (!s) {
        if (prepared.size >= 16) prepared.delete(prepared.keys().next().value);
        prepared.set(sql, (s = db.prepare(sql)));
      }
      return s;
    };
    return {
      write: async (rows) => insert(rows),
      exec: async (sql, values) => void statement(sql).run(values.map(sqliteValue)),
      close: async () => db.close(),
    };
  }
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection that breaks fails no write; the next query opens a new one.
  pool.on("error", () => undefined);
  return {
    write: async (rows) => {
      const values = [];
      const tuples = rows.map((r, i) => {
        values.push(...r);
        return `(${COLUMNS.map((_, j) => `$${i * COLUMNS.length + j + 1}`).join(", ")})`;
      });
      await pool.query(`INSERT INTO "Trace" (${columnList}) VALUES ${tuples.join(", ")} ON CONFLICT ("id") DO NOTHING`, values);
    },
    exec: async (sql, values) => void (await pool.query(sql, values)),
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
  } else if (msg.type === "exec") {
    try {
      await target.exec(msg.sql, msg.values);
      parentPort.postMessage({ type: "written", batch: msg.batch, count: 1 });
    } catch (err) {
      parentPort.postMessage({ type: "failed", batch: msg.batch, count: 1, message: String(err?.message ?? err) });
    }
  } else if (msg.type === "close") {
    await target.close();
    parentPort.postMessage({ type: "closed" });
  }
});
parentPort.postMessage({ type: "ready" });
