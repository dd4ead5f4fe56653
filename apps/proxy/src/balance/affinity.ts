// Which deployment served a conversation's last turn: a bounded map, least recently used first out,
// each entry good for a time to live. Keys name the model group too, so one session that uses two
// models (Claude Code's main and small ones) keeps a deployment for each.

interface Entry {
  id: string;
  expires: number;
}

export class AffinityMap {
  private readonly map = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, now: number): string | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.id;
  }

  set(key: string, id: string, now: number): void {
    const e = this.map.get(key);
    // Re-inserted so the Map's order stays least recently used first.
    if (e) this.map.delete(key);
    this.map.set(key, { id, expires: now + this.ttlMs });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }
}
