// Messages between replicas over PostgreSQL LISTEN/NOTIFY: live trace events, applied config
// versions and changed or deleted stored responses. Each replica ignores its own messages.

import { randomUUID } from "node:crypto";
import pg from "pg";

type Handler = (payload: Record<string, unknown>) => void;

export class PgBus {
  readonly replicaId = randomUUID();
  private readonly handlers = new Map<string, Handler[]>();
  private readonly reconnectHandlers: Array<() => void> = [];
  private listener: pg.Client | undefined;
  private listening = false;
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
      if (this.listener !== client) return;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      this.restart(channels);
    });
    try {
      await client.connect();
      for (const c of channels) await client.query(`LISTEN ${c}`);
    } catch (err) {
      void client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    // Whatever was sent while the listener was down is lost: tell those who must not miss it.
    if (this.listening) for (const h of this.reconnectHandlers) h();
    this.listening = true;
  }

  /** Listens again in a second, and again after every failure, until closed. */
  private restart(channels: string[]): void {
    if (this.closed) return;
    setTimeout(() => {
      if (this.closed) return;
      this.start(channels).catch((err: unknown) => {
        this.onError(err);
        this.restart(channels);
      });
    }, 1000).unref();
  }

  /** Called after the listener reconnected (messages sent meanwhile never arrived). */
  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
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

  /** Sends and resolves once PostgreSQL has taken the message; rejects when it could not. */
  async publish(channel: string, body: Record<string, unknown>): Promise<void> {
    const payload = JSON.stringify({ origin: this.replicaId, body });
    if (payload.length > 7900) throw new Error(`a ${channel} message is too long for NOTIFY`);
    await this.pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
  }
}
