// Messages between replicas over PostgreSQL LISTEN/NOTIFY: live trace events and applied config
// versions. Each replica ignores its own messages.

import { randomUUID } from "node:crypto";
import pg from "pg";

type Handler = (payload: Record<string, unknown>) => void;

export class PgBus {
  readonly replicaId = randomUUID();
  private readonly handlers = new Map<string, Handler[]>();
  private listener: pg.Client | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async start(channels: string[]): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("notification", (n) => {
      if (!n.payload) return;
      try {
        const msg = JSON.parse(n.payload) as { origin?: string; body?: Record<string, unknown> };
        if (msg.origin === this.replicaId || !msg.body) return;
        for (const h of this.handlers.get(n.channel) ?? []) h(msg.body);
      } catch (err) {
        this.onError(err);
      }
    });
    client.on("error", (err) => {
      this.onError(err);
      if (!this.closed) setTimeout(() => void this.start(channels).catch(this.onError), 1000).unref();
    });
    await client.connect();
    for (const c of channels) await client.query(`LISTEN ${c}`);
    this.listener = client;
  }

  on(channel: string, handler: Handler): void {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler);
    this.handlers.set(channel, list);
  }

  /** Fire and forget: a lost notification costs a live event, never a request. */
  notify(channel: string, body: Record<string, unknown>): void {
    const payload = JSON.stringify({ origin: this.replicaId, body });
    if (payload.length > 7900) return;
    this.pool.query("SELECT pg_notify($1, $2)", [channel, payload]).catch(this.onError);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
  }
}
