// The live request feed behind `/admin/ws`: started / progress / finished events, filtered per
// subscriber. A slow subscriber has events dropped (and is told how many), never slowing the proxy.

import type { TraceSummary } from "./trace.js";

export type LiveMessage =
  | { type: "request.started"; trace: TraceSummary }
  | { type: "request.progress"; id: string; model: string; keyId: string | null; chunks: number; completionTokens: number | null; elapsedMs: number }
  | { type: "request.finished"; trace: TraceSummary };

export interface LiveFilter {
  model?: string;
  key?: string;
  status?: "ok" | "error";
}

export interface Subscriber {
  filter: LiveFilter;
  send(text: string): void;
  /** Bytes queued on the socket and not yet sent. */
  buffered(): number;
}

const MAX_BUFFERED = 1024 * 1024;

function matches(filter: LiveFilter, msg: LiveMessage): boolean {
  const model = msg.type === "request.progress" ? msg.model : msg.trace.model;
  const key = msg.type === "request.progress" ? msg.keyId : msg.trace.keyId;
  if (filter.model && filter.model !== model) return false;
  if (filter.key && filter.key !== key) return false;
  if (filter.status && msg.type === "request.finished") {
    const failed = (msg.trace.status ?? 0) >= 400;
    if ((filter.status === "error") !== failed) return false;
  } else if (filter.status && msg.type !== "request.finished") {
    return false;
  }
  return true;
}

export class LiveFeed {
  private readonly subscribers = new Map<Subscriber, { dropped: number }>();
  /** Called for events that other replicas should see. */
  onLocal: ((msg: LiveMessage) => void) | undefined;
  /** Told when a subscriber's socket fails; that subscriber is dropped, the request goes on. */
  onError: ((err: unknown) => void) | undefined;

  get size(): number {
    return this.subscribers.size;
  }

  /** Whether anyone (a local subscriber or another replica) would receive a published event. */
  get wanted(): boolean {
    return this.subscribers.size > 0 || this.onLocal !== undefined;
  }

  subscribe(sub: Subscriber): () => void {
    this.subscribers.set(sub, { dropped: 0 });
    return () => this.subscribers.delete(sub);
  }

  /** An event of this replica. */
  publish(msg: LiveMessage): void {
    if (msg.type !== "request.progress") this.onLocal?.(msg);
    this.deliver(msg);
  }

  /** An event from another replica. */
  deliver(msg: LiveMessage): void {
    if (this.subscribers.size === 0) return;
    let text: string | undefined;
    for (const [sub, state] of this.subscribers) {
      if (!matches(sub.filter, msg)) continue;
      if (sub.buffered() > MAX_BUFFERED) {
        state.dropped += 1;
        continue;
      }
      try {
        if (state.dropped > 0) {
          sub.send(JSON.stringify({ type: "dropped", count: state.dropped }));
          state.dropped = 0;
        }
        text ??= JSON.stringify(msg);
        sub.send(text);
      } catch (err) {
        this.subscribers.delete(sub);
        this.onError?.(err);
      }
    }
  }
}
