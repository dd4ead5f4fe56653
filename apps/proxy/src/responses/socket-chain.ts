// The chain a Responses WebSocket keeps for itself: what `previous_response_id` continues on that
// socket, `store: false` included, as long as the socket lives. Bounded in bytes and in turns; only
// the latest few responses are kept (a client continues its newest one, or forks a recent one).

/** One answered turn: the items it was sent and the items it answered with. */
export interface ChainTurn {
  inputItems: Array<Record<string, unknown>>;
  outputItems: Array<Record<string, unknown>>;
}

interface Entry {
  turns: ChainTurn[];
  bytes: number;
}

/** Bytes of each turn (its frame and its answer's output), known when it was added. */
const turnBytes = new WeakMap<ChainTurn, number>();

/** Responses kept per socket; older ones are dropped first. */
const KEPT_RESPONSES = 8;

export class SocketChain {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limits: { maxBytes: number; maxTurns: number }) {}

  /** The turns that end with response `id`, oldest first; undefined when the socket does not hold it. */
  turnsOf(id: string): ChainTurn[] | undefined {
    return this.entries.get(id)?.turns;
  }

  /**
   * Keeps response `id`, answered to `turn` after the chain of `previousId` (if any). Returns why it
   * could not be kept (the chain past its bounds), or undefined.
   */
  add(id: string, previousId: string | undefined, turn: ChainTurn, size: number): string | undefined {
    const before = previousId === undefined ? undefined : this.entries.get(previousId);
    const bytes = (before?.bytes ?? 0) + size;
    const turns = before ? [...before.turns, turn] : [turn];
    if (bytes > this.limits.maxBytes) return `the socket's chain would hold ${bytes} bytes (at most ${this.limits.maxBytes})`;
    if (turns.length > this.limits.maxTurns) return `the socket's chain would hold ${turns.length} turns (at most ${this.limits.maxTurns})`;
    turnBytes.set(turn, size);
    this.entries.delete(id);
    this.entries.set(id, { turns, bytes });
    // Entries share the turns they have in common: the bound is on the distinct turns held.
    while (this.entries.size > KEPT_RESPONSES || (this.entries.size > 1 && this.heldBytes() > this.limits.maxBytes)) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined || oldest === id) break;
      this.entries.delete(oldest);
    }
    return undefined;
  }

  private heldBytes(): number {
    const held = new Set<ChainTurn>();
    let total = 0;
    for (const entry of this.entries.values())
      for (const turn of entry.turns) {
        if (held.has(turn)) continue;
        held.add(turn);
        total += turnBytes.get(turn) ?? 0;
      }
    return total;
  }

  /** Forgets response `id` (a continuation of it failed: OpenAI then drops it from the socket too). */
  evict(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }
}
