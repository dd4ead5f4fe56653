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
  put(response: StoredResponse): Promise<void>;
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** An LRU map with a size bound and per-entry expiry. */
export class MemoryResponseStore implements ResponseStore {
  private readonly entries = new Map<string, StoredResponse>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return this.peek(id);
  }

  /** Synchronous read, refreshing the entry's recency. */
  peek(id: string): StoredResponse | undefined {
    const hit = this.entries.get(id);
    if (!hit) return undefined;
    if (hit.expiresAt <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    this.entries.delete(id);
    this.entries.set(id, hit);
    return hit;
  }

  async put(response: StoredResponse): Promise<void> {
    this.remember(response);
  }

  remember(response: StoredResponse): void {
    this.entries.delete(response.id);
    this.entries.set(response.id, response);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  async delete(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  /** Drops expired entries; returns how many. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [id, r] of this.entries) {
      if (r.expiresAt <= now) {
        this.entries.delete(id);
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
