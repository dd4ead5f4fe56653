// The durable ResponseStateStore: a bounded in-memory LRU in front of the database. Writes go to the
// database (from a worker thread) before they are acknowledged, so an id resolves on any replica
// sharing it as soon as the client holds it; a cache miss reads through. A row replaced or deleted
// here is announced (onChange) so other replicas drop their copies. Expired rows are deleted in
// bounded batches.

import type { Database } from "./database.js";
import { DEFAULT_MAX_MEMORY_BYTES, MemoryResponseStore, type ResponseStore, type StoredResponse } from "./response-store.js";
import { type ResponseRow, ResponseWriter } from "./response-writer.js";

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

function toRow(r: StoredResponse): ResponseRow {
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
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
  };
}

/** What a row costs in memory, from the JSON it was (or is about to be) stored as. */
function rowBytes(row: Pick<Row, "request" | "inputItems" | "outputItems" | "response" | "usage">): number {
  return 256 + row.request.length + row.inputItems.length + row.outputItems.length + row.response.length + (row.usage?.length ?? 0);
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
  /** Bytes of responses held in memory (their JSON length); a larger response is stored but not held. */
  maxMemoryBytes?: number;
  /** Rows deleted per statement by cleanup. */
  cleanupBatchSize?: number;
  now?: () => number;
  /**
   * Called once this store has deleted a row or replaced one, before the call returns, so other
   * replicas can drop their copies. It reports its own errors (a rejection is ignored here).
   */
  onChange?: (id: string) => Promise<void> | void;
}

export class DatabaseResponseStore implements ResponseStore {
  private readonly cache: MemoryResponseStore;
  private readonly now: () => number;
  private readonly batch: number;
  private readonly writer: ResponseWriter;
  private readonly onChange: ((id: string) => Promise<void> | void) | undefined;
  /** Reads in flight by id; an eviction or write of the id cancels its entry, so the read keeps no copy. */
  private readonly reading = new Map<string, number>();
  private reads = 0;

  constructor(
    private readonly db: Database,
    opts: DatabaseResponseStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.cache = new MemoryResponseStore(opts.maxMemoryEntries, this.now, opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES);
    this.batch = opts.cleanupBatchSize ?? 500;
    this.writer = new ResponseWriter(db);
    this.onChange = opts.onChange;
  }

  /** Entries held in memory (bounded by maxMemoryEntries and maxMemoryBytes). */
  get cachedEntries(): number {
    return this.cache.size;
  }

  /** Bytes held in memory, as measured by the JSON each entry is stored as. */
  get cachedBytes(): number {
    return this.cache.bytes;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const hit = this.cache.peek(id);
    if (hit) return hit;
    const token = ++this.reads;
    this.reading.set(id, token);
    let row: Row | null;
    try {
      row = (await this.db.prisma.storedResponse.findUnique({ where: { id } })) as Row | null;
    } catch (err) {
      this.endRead(id, token);
      throw err;
    }
    const current = this.endRead(id, token);
    if (!row || row.expiresAt.getTime() <= this.now()) return undefined;
    const found = fromRow(row);
    if (current) this.cache.remember(found, rowBytes(row));
    return found;
  }

  /** Whether nothing evicted or wrote `id` while this read was in flight. */
  private endRead(id: string, token: number): boolean {
    if (this.reading.get(id) !== token) return false;
    this.reading.delete(id);
    return true;
  }

  async put(response: StoredResponse): Promise<boolean> {
    const row = toRow(response);
    const outcome = await this.writer.put(row, this.now());
    if (outcome === "taken") return false;
    // A read that began before this write must not cache the row it replaced.
    this.reading.delete(response.id);
    this.cache.remember(response, rowBytes(row));
    if (outcome === "updated") await this.announce(response.id);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.evict(id);
    const deleted = await this.writer.delete(id);
    this.evict(id);
    if (deleted) await this.announce(id);
    return deleted;
  }

  /** Drops the in-memory copy of `id` (another replica changed or deleted it). */
  evict(id: string): void {
    this.reading.delete(id);
    this.cache.forget(id);
  }

  /** Drops every in-memory copy (changes from other replicas may have been missed). */
  evictAll(): void {
    this.reading.clear();
    this.cache.clear();
  }

  private async announce(id: string): Promise<void> {
    try {
      await this.onChange?.(id);
    } catch {
      // onChange reports its own failures; the write itself is done.
    }
  }

  /** Deletes expired rows in batches of `cleanupBatchSize`; returns how many. */
  async cleanupExpired(maxBatches = 100): Promise<number> {
    this.cache.sweep();
    return this.writer.expire(this.now(), this.batch, maxBatches);
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.cache.close();
  }
}
