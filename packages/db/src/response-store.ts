// Stored Responses for `previous_response_id`, `GET /v1/responses/{id}` and `item_reference`: the
// store interface and the bounded in-memory store (alone, or as the cache of DatabaseResponseStore).

export interface StoredResponse {
  id: string;
  /** key_id of the app key that made it; undefined when app keys are off. */
  ownerKeyId: string | undefined;
  model: string;
  backend: string;
  status: string;
  /** The client's request body (this turn only; `input` kept separately). */
  request: Record<string, unknown>;
  /** This turn's input items, normalized to item objects. */
  inputItems: Array<Record<string, unknown>>;
  outputItems: Array<Record<string, unknown>>;
  /** The whole Response object as the client received it. */
  response: Record<string, unknown>;
  usage: Record<string, unknown> | null;
  previousResponseId: string | null;
  /** Unix milliseconds. */
  createdAt: number;
  expiresAt: number;
}

export interface ResponseStore {
  get(id: string): Promise<StoredResponse | undefined>;
  /**
   * Stores a response. An id is owned once: when it is already stored for another owner (and not
   * expired), that response is kept and this one is not stored (false). The same owner may store an
   * id again.
   */
  put(response: StoredResponse): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The memory bound of stored responses held in memory (max_memory_bytes). */
export const DEFAULT_MAX_MEMORY_BYTES = 64 * 1024 * 1024;

/**
 * A response's size in memory, estimated without serializing it: string lengths plus a little per
 * value. Iterative, so no depth of nesting can overflow the stack.
 */
function estimateSize(response: StoredResponse): number {
  let size = 256;
  const stack: unknown[] = [response.request, response.inputItems, response.outputItems, response.response, response.usage];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2;
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === "object") {
      size += 2;
      const o = v as Record<string, unknown>;
      for (const k in o) {
        size += k.length + 4;
        stack.push(o[k]);
      }
    } else size += 8;
  }
  return size;
}

/** An LRU map bounded by count and by (estimated) bytes, with per-entry expiry. */
export class MemoryResponseStore implements ResponseStore {
  private readonly entries = new Map<string, { response: StoredResponse; bytes: number }>();
  private totalBytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
    private readonly maxBytes: number = DEFAULT_MAX_MEMORY_BYTES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as measured when each entry was remembered. */
  get bytes(): number {
    return this.totalBytes;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return this.peek(id);
  }

  /** Synchronous read, refreshing the entry's recency. */
  peek(id: string): StoredResponse | undefined {
    const hit = this.entries.get(id);
    if (!hit) return undefined;
    this.entries.delete(id);
    if (hit.response.expiresAt <= this.now()) {
      this.totalBytes -= hit.bytes;
      return undefined;
    }
    this.entries.set(id, hit);
    return hit.response;
  }

  async put(response: StoredResponse): Promise<boolean> {
    const held = this.entries.get(response.id);
    if (held && held.response.ownerKeyId !== response.ownerKeyId && held.response.expiresAt > this.now()) return false;
    this.remember(response, estimateSize(response));
    return true;
  }

  /** Holds `response` (replacing any copy); one larger than the whole bound is not held at all. */
  remember(response: StoredResponse, bytes: number): void {
    this.forget(response.id);
    if (bytes > this.maxBytes) return;
    this.entries.set(response.id, { response, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.forget(oldest);
    }
  }

  async delete(id: string): Promise<boolean> {
    return this.forget(id);
  }

  forget(id: string): boolean {
    const held = this.entries.get(id);
    if (!held) return false;
    this.entries.delete(id);
    this.totalBytes -= held.bytes;
    return true;
  }

  /** Drops expired entries; returns how many. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [id, held] of this.entries) {
      if (held.response.expiresAt <= now) {
        this.forget(id);
        removed += 1;
      }
    }
    return removed;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  async close(): Promise<void> {
    this.clear();
  }
}
