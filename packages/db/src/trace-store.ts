// Reading and pruning stored traces. Rows are written by TraceWriter (a worker thread); this is
// every other access to the Trace table.

import type { Database } from "./database.js";
import type { Trace } from "./generated/sqlite/client.js";

/** A place in a list ordered newest first: the time and id of the last row already seen. */
export interface PageCursor {
  at: Date;
  id: string;
}

export interface TraceFilter {
  model?: string;
  keyId?: string;
  clientFormat?: string;
  /** One status, or all below 400 (`ok`) or from 400 up (`error`). */
  status?: number | "ok" | "error";
  after?: PageCursor;
}

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
    const where: Record<string, unknown> = beforeCursor(filter.after, "startedAt");
    if (filter.model) where.model = filter.model;
    if (filter.keyId) where.keyId = filter.keyId;
    if (filter.clientFormat) where.clientFormat = filter.clientFormat;
    if (filter.status === "ok") where.status = { lt: 400 };
    else if (filter.status === "error") where.status = { gte: 400 };
    else if (filter.status !== undefined) where.status = filter.status;
    return this.db.prisma.trace.findMany({ where, orderBy: [{ startedAt: "desc" }, { id: "desc" }], take: limit, omit: { detail: true } });
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
