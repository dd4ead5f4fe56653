// The durable ResponseStateStore: a bounded in-memory LRU in front of the database. Writes go to the
// database before they are acknowledged, so an id resolves on any replica sharing it as soon as the
// client holds it; a cache miss reads through. Expired rows are deleted in bounded batches.

import type { Database } from "./database.js";
import { MemoryResponseStore, type ResponseStore, type StoredResponse } from "./response-store.js";

interface Row {
  id: string;
  ownerKeyId: string | null;
  model: string;
  backend: string;
  status: string;
  request: string;
  inputItems: string;
  outputItems: string;
  response: string;
  usage: string | null;
  previousResponseId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

function toRow(r: StoredResponse): Row {
  return {
    id: r.id,
    ownerKeyId: r.ownerKeyId ?? null,
    model: r.model,
    backend: r.backend,
    status: r.status,
    request: JSON.stringify(r.request),
    inputItems: JSON.stringify(r.inputItems),
    outputItems: JSON.stringify(r.outputItems),
    response: JSON.stringify(r.response),
    usage: r.usage === null ? null : JSON.stringify(r.usage),
    previousResponseId: r.previousResponseId,
    createdAt: new Date(r.createdAt),
    expiresAt: new Date(r.expiresAt),
  };
}

function fromRow(row: Row): StoredResponse {
  return {
    id: row.id,
    ownerKeyId: row.ownerKeyId ?? undefined,
    model: row.model,
    backend: row.backend,
    status: row.status,
    request: JSON.parse(row.request) as Record<string, unknown>,
    inputItems: JSON.parse(row.inputItems) as Array<Record<string, unknown>>,
    outputItems: JSON.parse(row.outputItems) as Array<Record<string, unknown>>,
    response: JSON.parse(row.response) as Record<string, unknown>,
    usage: row.usage === null ? null : (JSON.parse(row.usage) as Record<string, unknown>),
    previousResponseId: row.previousResponseId,
    createdAt: row.createdAt.getTime(),
    expiresAt: row.expiresAt.getTime(),
  };
}

export interface DatabaseResponseStoreOptions {
  maxMemoryEntries: number;
  /** Rows deleted per statement by cleanup. */
  cleanupBatchSize?: number;
  now?: () => number;
}

export class DatabaseResponseStore implements ResponseStore {
  private readonly cache: MemoryResponseStore;
  private readonly now: () => number;
  private readonly batch: number;

  constructor(
    private readonly db: Database,
    opts: DatabaseResponseStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.cache = new MemoryResponseStore(opts.maxMemoryEntries, this.now);
    this.batch = opts.cleanupBatchSize ?? 500;
  }

  /** Entries held in memory (bounded by maxMemoryEntries). */
  get cachedEntries(): number {
    return this.cache.size;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const hit = this.cache.peek(id);
    if (hit) return hit;
    const row = (await this.db.prisma.storedResponse.findUnique({ where: { id } })) as Row | null;
    if (!row || row.expiresAt.getTime() <= this.now()) return undefined;
    const found = fromRow(row);
    this.cache.remember(found);
    return found;
  }

  async put(response: StoredResponse): Promise<void> {
    const row = toRow(response);
    // Most writes are new ids: one INSERT, with an UPDATE only when the id exists (background runs).
    try {
      await this.db.prisma.storedResponse.create({ data: row });
    } catch (err) {
      if ((err as { code?: string }).code !== "P2002") throw err;
      await this.db.prisma.storedResponse.update({ where: { id: row.id }, data: row });
    }
    this.cache.remember(response);
  }

  async delete(id: string): Promise<boolean> {
    this.cache.forget(id);
    const { count } = await this.db.prisma.storedResponse.deleteMany({ where: { id } });
    return count > 0;
  }

  /** Deletes expired rows in batches of `cleanupBatchSize`; returns how many. */
  async cleanupExpired(maxBatches = 100): Promise<number> {
    this.cache.sweep();
    let removed = 0;
    for (let i = 0; i < maxBatches; i++) {
      const expired = await this.db.prisma.storedResponse.findMany({
        where: { expiresAt: { lte: new Date(this.now()) } },
        select: { id: true },
        take: this.batch,
      });
      if (expired.length === 0) break;
      const { count } = await this.db.prisma.storedResponse.deleteMany({ where: { id: { in: expired.map((r: { id: string }) => r.id) } } });
      removed += count;
      if (expired.length < this.batch) break;
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.cache.close();
  }
}
