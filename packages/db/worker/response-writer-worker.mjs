// Writes stored responses on a thread of its own: the SQLite insert (and its fsync) or the
// PostgreSQL round trip costs the request path nothing but a message. A write is answered only once
// it is committed. An id is owned once: a row of another owner is never replaced while it lives.
// Plain JavaScript: it runs unchanged from src/ (tests) and dist/ (server).
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";

// Replaced on an update; `ownerKeyId` too, as an expired row of another owner may be taken over.
const VALUES = [
  "ownerKeyId",
  "model",
  "backend",
  "status",
  "request",
  "inputItems",
  "outputItems",
  "response",
  "usage",
  "previousResponseId",
  "createdAt",
  "expiresAt",
];
const COLUMNS = ["id", ...VALUES];
const columnList = COLUMNS.map((c) => `"${c}"`).join(", ");

async function open({ provider, url }) {
  if (provider === "sqlite") {
    const { default: BetterSqlite3 } = await import("better-sqlite3");
    // The default synchronous level, as the main connection has it: a committed write survives a
    // crash of the process and of the machine.
    const db = new BetterSqlite3(url.replace(/^file:/, ""), { timeout: 5000 });
    // Prisma reads SQLite DateTimes as ISO text with an explicit offset.
    const time = (ms) => new Date(ms).toISOString().replace("Z", "+00:00");
    const values = (r) => [
      r.ownerKeyId,
      r.model,
      r.backend,
      r.status,
      r.request,
      r.inputItems,
      r.outputItems,
      r.response,
      r.usage,
      r.previousResponseId,
      time(r.createdAt),
      time(r.expiresAt),
    ];
    const insert = db.prepare(`INSERT INTO "StoredResponse" (${columnList}) VALUES (${COLUMNS.map(() => "?").join(", ")}) ON CONFLICT ("id") DO NOTHING`);
    const update = db.prepare(
      `UPDATE "StoredResponse" SET ${VALUES.map((c) => `"${c}" = ?`).join(", ")} WHERE "id" = ? AND ("ownerKeyId" IS ? OR "expiresAt" <= ?)`,
    );
    const put = db.transaction((r, now) => {
      if (insert.run(r.id, ...values(r)).changes > 0) return "inserted";
      return update.run(...values(r), r.id, r.ownerKeyId, time(now)).changes > 0 ? "updated" : "taken";
    });
    const remove = db.prepare(`DELETE FROM "StoredResponse" WHERE "id" = ?`);
    const expire = db.prepare(`DELETE FROM "StoredResponse" WHERE "id" IN (SELECT "id" FROM "StoredResponse" WHERE "expiresAt" <= ? LIMIT ?)`);
    return {
      put: async (row, now) => put(row, now),
      delete: async (id) => remove.run(id).changes > 0,
      expire: async (now, limit) => expire.run(time(now), limit).changes,
      close: async () => db.close(),
    };
  }
  const { default: pg } = await import("pg");
  // A database that stops answering fails the write (and the request waiting for it), never hangs it.
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
  // An idle connection that breaks is replaced on the next query; it must not end the thread.
  pool.on("error", () => {});
  // timestamp(3) columns hold UTC without a zone, as Prisma writes them.
  const time = (ms) => new Date(ms).toISOString().slice(0, -1);
  const placeholders = COLUMNS.map((_, i) => `$${i + 1}`).join(", ");
  const upsert = `INSERT INTO "StoredResponse" (${columnList}) VALUES (${placeholders})
    ON CONFLICT ("id") DO UPDATE SET ${VALUES.map((c) => `"${c}" = EXCLUDED."${c}"`).join(", ")}
    WHERE "StoredResponse"."ownerKeyId" IS NOT DISTINCT FROM EXCLUDED."ownerKeyId" OR "StoredResponse"."expiresAt" <= $${COLUMNS.length + 1}
    RETURNING (xmax = 0) AS inserted`;
  return {
    put: async (r, now) => {
      const res = await pool.query(upsert, [
        r.id,
        r.ownerKeyId,
        r.model,
        r.backend,
        r.status,
        r.request,
        r.inputItems,
        r.outputItems,
        r.response,
        r.usage,
        r.previousResponseId,
        time(r.createdAt),
        time(r.expiresAt),
        time(now),
      ]);
      if (res.rowCount === 0) return "taken";
      return res.rows[0].inserted ? "inserted" : "updated";
    },
    delete: async (id) => (await pool.query(`DELETE FROM "StoredResponse" WHERE "id" = $1`, [id])).rowCount > 0,
    expire: async (now, limit) =>
      (await pool.query(`DELETE FROM "StoredResponse" WHERE "id" IN (SELECT "id" FROM "StoredResponse" WHERE "expiresAt" <= $1 LIMIT $2)`, [time(now), limit]))
        .rowCount,
    close: () => pool.end(),
  };
}

const target = await open(workerData);

async function handle(msg) {
  switch (msg.type) {
    case "put":
      return target.put(msg.row, msg.now);
    case "delete":
      return target.delete(msg.id);
    case "expire": {
      // Bounded batches, with other writes let in between them.
      let removed = 0;
      for (let i = 0; i < msg.maxBatches; i++) {
        const n = await target.expire(msg.now, msg.batch);
        removed += n;
        if (n < msg.batch) break;
        await yieldToLoop();
      }
      return removed;
    }
    default:
      throw new Error(`unknown message ${msg.type}`);
  }
}

parentPort.on("message", async (msg) => {
  if (msg.type === "close") {
    await target.close().catch(() => {});
    parentPort.postMessage({ type: "closed" });
    return;
  }
  try {
    parentPort.postMessage({ seq: msg.seq, ok: true, result: await handle(msg) });
  } catch (err) {
    parentPort.postMessage({ seq: msg.seq, ok: false, message: String(err?.message ?? err), code: err?.code });
  }
});
parentPort.postMessage({ type: "ready" });
