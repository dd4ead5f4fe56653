// Bulk inserts of traces with the database drivers themselves: a trace is written once and never
// updated, and going through Prisma's query compiler for every row cost more CPU than the request
// it describes. Rows keep the exact column formats Prisma reads back.

import type { Database } from "./database.js";

export interface TraceRow {
  id: string;
  startedAt: Date;
  model: string;
  keyId: string | null;
  clientFormat: string;
  backend: string | null;
  backendFormat: string | null;
  stream: boolean;
  status: number | null;
  attempts: number;
  ttftMs: number | null;
  durationMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  error: string | null;
  warnings: number;
  captureLevel: string;
  detail: string;
}

const COLUMNS = [
  "id",
  "startedAt",
  "model",
  "keyId",
  "clientFormat",
  "backend",
  "backendFormat",
  "stream",
  "status",
  "attempts",
  "ttftMs",
  "durationMs",
  "promptTokens",
  "completionTokens",
  "error",
  "warnings",
  "captureLevel",
  "detail",
] as const;

const sqliteStatements = new WeakMap<object, (rows: TraceRow[]) => void>();

/** Prisma stores SQLite DateTimes as ISO text with an explicit offset. */
function sqliteDate(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}

export async function insertTraces(db: Database, rows: TraceRow[]): Promise<void> {
  if (rows.length === 0) return;
  if (db.sqlite) {
    let insert = sqliteStatements.get(db.sqlite);
    if (!insert) {
      const stmt = db.sqlite.prepare(
        `INSERT OR IGNORE INTO "Trace" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
      );
      insert = db.sqlite.transaction((batch: TraceRow[]) => {
        for (const r of batch) {
          stmt.run(r.id, sqliteDate(r.startedAt), r.model, r.keyId, r.clientFormat, r.backend, r.backendFormat, r.stream ? 1 : 0, r.status, r.attempts, r.ttftMs, r.durationMs, r.promptTokens, r.completionTokens, r.error, r.warnings, r.captureLevel, r.detail);
        }
      });
      sqliteStatements.set(db.sqlite, insert);
    }
    insert(rows);
    return;
  }
  if (db.pgPool) {
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(r.id, r.startedAt, r.model, r.keyId, r.clientFormat, r.backend, r.backendFormat, r.stream, r.status, r.attempts, r.ttftMs, r.durationMs, r.promptTokens, r.completionTokens, r.error, r.warnings, r.captureLevel, r.detail);
      return `(${COLUMNS.map((_, j) => `$${i * COLUMNS.length + j + 1}`).join(", ")})`;
    });
    await db.pgPool.query(`INSERT INTO "Trace" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")} ON CONFLICT ("id") DO NOTHING`, values);
    return;
  }
  await db.prisma.trace.createMany({ data: rows });
}
