// Reading and pruning stored traces. Rows are written by TraceWriter (a worker thread); this is
// every other access to the Trace table.

import type { Database } from "./database.js";
import { Prisma, type Trace } from "./generated/sqlite/client.js";

/** A place in a list ordered newest first: the time and id of the last row already seen. */
export interface PageCursor {
  at: Date;
  id: string;
}

export interface TraceFilter {
  model?: string;
  keyId?: string;
  clientFormat?: string;
  backend?: string;
  /** One status, or all below 400 (`ok`) or from 400 up (`error`). */
  status?: number | "ok" | "error";
  finishReason?: string;
  /** Only answers that called tools (true) or that did not (false). */
  toolCalls?: boolean;
  /** Started at or after `from` and before `to`. */
  from?: Date;
  to?: Date;
  /** Words that must all occur in the trace's detail (its captured bodies and events). */
  text?: string;
  after?: PageCursor;
}

/** At most this many words of a text filter are used. */
const MAX_SEARCH_WORDS = 16;

/**
 * The traces the text index holds: captured bodies, an error, a failed status, a retry or a
 * warning. Repeated in the query for PostgreSQL's partial index; on SQLite the trace writer
 * (worker/trace-writer-worker.mjs, `searchable`) applies the same test, which must stay the same.
 */
const INDEXED = Prisma.sql`(t."captureLevel" <> 'metadata' OR t."error" IS NOT NULL OR t."status" IS NULL OR t."status" >= 400 OR t."attempts" > 1 OR t."warnings" > 0)`;

export type TraceSummaryRecord = Omit<Trace, "detail">;

/** Rows older than the cursor, newest first, by `field` then id. */
export function beforeCursor(cursor: PageCursor | undefined, field: string): Record<string, unknown> {
  if (!cursor) return {};
  return { OR: [{ [field]: { lt: cursor.at } }, { [field]: cursor.at, id: { lt: cursor.id } }] };
}

export class TraceStore {
  constructor(private readonly db: Database) {}

  /** Up to `limit` summaries, newest first. */
  async list(filter: TraceFilter, limit: number): Promise<TraceSummaryRecord[]> {
    const words = searchWords(filter.text);
    if (words.length > 0) return this.search(filter, words, limit);
    const where: Record<string, unknown> = beforeCursor(filter.after, "startedAt");
    if (filter.model) where.model = filter.model;
    if (filter.keyId) where.keyId = filter.keyId;
    if (filter.clientFormat) where.clientFormat = filter.clientFormat;
    if (filter.backend) where.backend = filter.backend;
    if (filter.finishReason) where.finishReason = filter.finishReason;
    if (filter.toolCalls !== undefined) where.toolCalls = filter.toolCalls ? { gt: 0 } : 0;
    if (filter.from || filter.to) where.startedAt = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) };
    if (filter.status === "ok") where.status = { lt: 400 };
    else if (filter.status === "error") where.status = { gte: 400 };
    else if (filter.status !== undefined) where.status = filter.status;
    return this.db.prisma.trace.findMany({ where, orderBy: [{ startedAt: "desc" }, { id: "desc" }], take: limit, omit: { detail: true } });
  }

  /**
   * The same list with a full-text condition: the page's ids from the provider's index (FTS5 on
   * SQLite, a tsvector GIN index on PostgreSQL), then those rows.
   */
  private async search(filter: TraceFilter, words: string[], limit: number): Promise<TraceSummaryRecord[]> {
    const pg = this.db.provider === "postgresql";
    const at = (d: Date): Date | string => (pg ? d : sqliteDate(d));
    const match = pg
      ? Prisma.sql`to_tsvector('simple', left(t."detail", 262144)) @@ plainto_tsquery('simple', ${words.join(" ")})`
      : Prisma.sql`t.rowid IN (SELECT rowid FROM "TraceSearch" WHERE "TraceSearch" MATCH ${words.map((w) => `"${w}"`).join(" ")})`;
    const conds: Prisma.Sql[] = [match, INDEXED];
    if (filter.model) conds.push(Prisma.sql`t."model" = ${filter.model}`);
    if (filter.keyId) conds.push(Prisma.sql`t."keyId" = ${filter.keyId}`);
    if (filter.clientFormat) conds.push(Prisma.sql`t."clientFormat" = ${filter.clientFormat}`);
    if (filter.backend) conds.push(Prisma.sql`t."backend" = ${filter.backend}`);
    if (filter.finishReason) conds.push(Prisma.sql`t."finishReason" = ${filter.finishReason}`);
    if (filter.toolCalls !== undefined) conds.push(filter.toolCalls ? Prisma.sql`t."toolCalls" > 0` : Prisma.sql`t."toolCalls" = 0`);
    if (filter.from) conds.push(Prisma.sql`t."startedAt" >= ${at(filter.from)}`);
    if (filter.to) conds.push(Prisma.sql`t."startedAt" < ${at(filter.to)}`);
    if (filter.status === "ok") conds.push(Prisma.sql`t."status" < 400`);
    else if (filter.status === "error") conds.push(Prisma.sql`t."status" >= 400`);
    else if (filter.status !== undefined) conds.push(Prisma.sql`t."status" = ${filter.status}`);
    const c = filter.after;
    if (c) conds.push(Prisma.sql`(t."startedAt" < ${at(c.at)} OR (t."startedAt" = ${at(c.at)} AND t."id" < ${c.id}))`);
    const ids = await this.db.prisma.$queryRaw<Array<{ id: string }>>(
      Prisma.sql`SELECT t."id" FROM "Trace" t WHERE ${Prisma.join(conds, " AND ")} ORDER BY t."startedAt" DESC, t."id" DESC LIMIT ${limit}`,
    );
    if (ids.length === 0) return [];
    const rows = await this.db.prisma.trace.findMany({ where: { id: { in: ids.map((r) => r.id) } }, omit: { detail: true } });
    const order = new Map(ids.map((r, i) => [r.id, i]));
    return rows.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }

  get(id: string): Promise<Trace | null> {
    return this.db.prisma.trace.findUnique({ where: { id } });
  }

  /** Deletes up to `batch` traces started before `cutoff`; answers how many went. */
  async deleteStartedBefore(cutoff: Date, batch: number): Promise<number> {
    const old = await this.db.prisma.trace.findMany({ where: { startedAt: { lt: cutoff } }, select: { id: true }, take: batch });
    if (old.length === 0) return 0;
    const { count } = await this.db.prisma.trace.deleteMany({ where: { id: { in: old.map((r) => r.id) } } });
    return count;
  }
}

/** The words of a text filter (letters and digits), lower-cased, as both indexes split text. */
function searchWords(text: string | undefined): string[] {
  if (!text) return [];
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, MAX_SEARCH_WORDS);
}

/** A date as Prisma stores it in SQLite: ISO text with an explicit offset. */
function sqliteDate(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}
