import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./database.js";
import { DatabaseResponseStore } from "./database-response-store.js";
import { MigrationError, migrateSqlite, readMigrations } from "./migrate.js";
import { MemoryResponseStore, type StoredResponse } from "./response-store.js";
import { createTestDatabase, postgresAvailable } from "./testing/postgres.js";

function sample(id: string, overrides: Partial<StoredResponse> = {}): StoredResponse {
  const now = Date.now();
  return {
    id,
    ownerKeyId: "team-a",
    model: "m",
    backend: "b",
    status: "completed",
    request: { model: "m", store: true },
    inputItems: [{ type: "message", role: "user", content: [{ type: "input_text", text: `hi ${id}` }], id: `msg_${id}` }],
    outputItems: [{ type: "message", id: `out_${id}`, role: "assistant", content: [{ type: "output_text", text: "héllo ✓", annotations: [] }] }],
    response: { id, object: "response", status: "completed", output: [] },
    usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    previousResponseId: null,
    createdAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

const sqliteUrl = () => `file:${join(mkdtempSync(join(tmpdir(), "yallmp-db-")), "nested", "state.db")}`;

function storeContract(name: string, open: () => Promise<{ db: Database; done(): Promise<void> }>, bulk: number) {
  describe(`DatabaseResponseStore on ${name}`, () => {
    let db: Database;
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ db, done } = await open());
    });
    afterAll(async () => {
      await db.close();
      await done();
    });

    it("writes through and reads back what it stored, from another store on the same database", async () => {
      const writer = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      const stored = sample("resp_rt1", { previousResponseId: "resp_prev" });
      await writer.put(stored);
      const reader = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      expect(reader.cachedEntries).toBe(0);
      expect(await reader.get("resp_rt1")).toEqual(stored);
      expect(reader.cachedEntries).toBe(1);
      expect(await reader.get("resp_missing")).toBeUndefined();
    });

    it("overwrites a response stored again under the same id (a background run finishing)", async () => {
      const store = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      await store.put(sample("resp_bg", { status: "queued" }));
      await store.put(sample("resp_bg", { status: "completed" }));
      const fresh = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      expect((await fresh.get("resp_bg"))?.status).toBe("completed");
    });

    it("deletes, and hides rows past their expiry before cleanup removes them in batches", async () => {
      let now = Date.now();
      const store = new DatabaseResponseStore(db, { maxMemoryEntries: 5, cleanupBatchSize: 7, now: () => now });
      await store.put(sample("resp_del"));
      expect(await store.delete("resp_del")).toBe(true);
      expect(await store.delete("resp_del")).toBe(false);
      expect(await store.get("resp_del")).toBeUndefined();

      for (let i = 0; i < 20; i++) await store.put(sample(`resp_ttl${i}`, { expiresAt: now + 1000 }));
      await store.put(sample("resp_keep", { expiresAt: now + 60_000 }));
      now += 2000;
      expect(await store.get("resp_ttl3")).toBeUndefined();
      expect(await store.cleanupExpired()).toBeGreaterThanOrEqual(20);
      const left = await db.prisma.storedResponse.count({ where: { id: { startsWith: "resp_ttl" } } });
      expect(left).toBe(0);
      expect((await store.get("resp_keep"))?.id).toBe("resp_keep");
    });

    it("owns an id once: another key's response under the same id never replaces the stored one", async () => {
      const a = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      const b = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      try {
        expect(await a.put(sample("resp_up1", { ownerKeyId: "team-a", status: "completed" }))).toBe(true);
        expect(await b.put(sample("resp_up1", { ownerKeyId: "team-b", status: "failed" }))).toBe(false);
        expect(await b.put(sample("resp_up1", { ownerKeyId: undefined, status: "failed" }))).toBe(false);
        expect(b.cachedEntries).toBe(0);
        const fresh = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
        expect(await fresh.get("resp_up1")).toMatchObject({ ownerKeyId: "team-a", status: "completed" });
        // The owner itself may store it again (a background run finishing).
        expect(await a.put(sample("resp_up1", { ownerKeyId: "team-a", status: "incomplete" }))).toBe(true);
        expect((await new DatabaseResponseStore(db, { maxMemoryEntries: 10 }).get("resp_up1"))?.status).toBe("incomplete");
        // Once expired, another owner's row may be taken over.
        await a.put(sample("resp_old", { ownerKeyId: "team-a", expiresAt: Date.now() - 1000 }));
        expect(await b.put(sample("resp_old", { ownerKeyId: "team-b" }))).toBe(true);
        expect(await new DatabaseResponseStore(db, { maxMemoryEntries: 10 }).get("resp_old")).toMatchObject({ ownerKeyId: "team-b" });
        // Without app keys every response has no owner, and one may replace another.
        expect(await a.put(sample("resp_anon", { ownerKeyId: undefined, status: "queued" }))).toBe(true);
        expect(await b.put(sample("resp_anon", { ownerKeyId: undefined, status: "completed" }))).toBe(true);
        expect((await new DatabaseResponseStore(db, { maxMemoryEntries: 10 }).get("resp_anon"))?.status).toBe("completed");
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("bounds its memory in bytes: the oldest go first, one larger than the bound is stored but not held", async () => {
      const changed: string[] = [];
      const store = new DatabaseResponseStore(db, { maxMemoryEntries: 1000, maxMemoryBytes: 1_000_000, onChange: (id) => void changed.push(id) });
      const big = (id: string, chars: number) =>
        sample(id, { inputItems: [{ type: "message", role: "user", content: [{ type: "input_text", text: "x".repeat(chars) }], id: `msg_${id}` }] });
      try {
        for (let i = 0; i < 10; i++) {
          await store.put(big(`resp_mb${i}`, 300_000));
          expect(store.cachedBytes).toBeLessThanOrEqual(1_000_000);
        }
        expect(store.cachedEntries).toBe(3);
        await store.put(big("resp_huge", 2_000_000));
        expect(store.cachedEntries).toBe(3);
        expect(store.cachedBytes).toBeGreaterThan(900_000);
        // Read through from the database, and still not held.
        expect(((await store.get("resp_huge"))?.inputItems[0]?.content as Array<{ text: string }>)[0]!.text).toHaveLength(2_000_000);
        expect(store.cachedEntries).toBe(3);
        expect((await store.get("resp_mb0"))?.id).toBe("resp_mb0");
        // Stored again too large: the smaller copy held before is dropped, not served stale.
        await store.put(big("resp_mb0", 10));
        expect(store.cachedEntries).toBe(3);
        await store.put(big("resp_mb0", 2_000_000));
        expect(store.cachedEntries).toBe(2);
        expect(((await store.get("resp_mb0"))?.inputItems[0]?.content as Array<{ text: string }>)[0]!.text).toHaveLength(2_000_000);
        expect(changed).toEqual(["resp_mb0", "resp_mb0"]);
      } finally {
        await store.close();
      }
    });

    it("drops its copy when told another replica changed a row, also while a read of it is in flight", async () => {
      const writer = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      const reader = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      try {
        await writer.put(sample("resp_ev", { status: "in_progress" }));
        expect((await reader.get("resp_ev"))?.status).toBe("in_progress");
        await writer.put(sample("resp_ev", { status: "cancelled" }));
        expect((await reader.get("resp_ev"))?.status).toBe("in_progress");
        reader.evict("resp_ev");
        expect((await reader.get("resp_ev"))?.status).toBe("cancelled");
        await writer.put(sample("resp_ev2"));
        // A notice that arrives while the row is being read: the read answers, and keeps no copy.
        const racing = reader.get("resp_ev2");
        reader.evict("resp_ev2");
        expect((await racing)?.id).toBe("resp_ev2");
        expect(reader.cachedEntries).toBe(1);
        reader.evictAll();
        expect(reader.cachedEntries).toBe(0);
      } finally {
        await writer.close();
        await reader.close();
      }
    });

    it("keeps its memory bounded while many responses are stored, and still reads every one", async () => {
      const store = new DatabaseResponseStore(db, { maxMemoryEntries: 100 });
      const n = bulk;
      for (let i = 0; i < n; i++) {
        await store.put(sample(`resp_bulk${i}`));
        expect(store.cachedEntries).toBeLessThanOrEqual(100);
      }
      expect((await store.get("resp_bulk0"))?.id).toBe("resp_bulk0");
      expect((await store.get(`resp_bulk${n - 1}`))?.id).toBe(`resp_bulk${n - 1}`);
      expect(store.cachedEntries).toBeLessThanOrEqual(100);
      await store.close();
    });
  });
}

storeContract("SQLite", async () => ({ db: await openDatabase(sqliteUrl()), done: async () => {} }), 10_000);

describe("SQLite writes", () => {
  it("run off the event loop, and still complete before put resolves", async () => {
    const db = await openDatabase(sqliteUrl());
    const store = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
    await store.put(sample("resp_warm"));
    // Another connection holds the write lock for 300 ms: the write waits for it on its own thread,
    // while timers here keep firing (and one of them lets the lock go).
    const other = new BetterSqlite3(db.url.slice("file:".length));
    other.exec("BEGIN IMMEDIATE");
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    setTimeout(() => other.exec("COMMIT"), 300);
    const started = performance.now();
    try {
      expect(await store.put(sample("resp_locked"))).toBe(true);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(ticks).toBeGreaterThan(5);
      const row = other.prepare(`SELECT "ownerKeyId" FROM "StoredResponse" WHERE "id" = ?`).get("resp_locked") as { ownerKeyId: string } | undefined;
      expect(row?.ownerKeyId).toBe("team-a");
    } finally {
      clearInterval(ticker);
      other.close();
      await store.close();
      await db.close();
    }
  });
});

describe("the writer thread", () => {
  it("fails only the write that failed, and is started again after it died", async () => {
    const db = await openDatabase(sqliteUrl());
    const store = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
    try {
      expect(await store.put(sample("resp_before"))).toBe(true);
      await expect(store.put(sample("resp_bad", { model: null as unknown as string }))).rejects.toThrow(/NOT NULL/);
      expect(await store.put(sample("resp_after"))).toBe(true);
      const worker = (store as unknown as { writer: { worker: import("node:worker_threads").Worker } }).writer.worker;
      await worker.terminate();
      expect(await store.put(sample("resp_restarted"))).toBe(true);
      const fresh = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
      for (const id of ["resp_before", "resp_after", "resp_restarted"]) expect((await fresh.get(id))?.id).toBe(id);
      expect(await fresh.get("resp_bad")).toBeUndefined();
    } finally {
      await store.close();
      await db.close();
    }
  });

  it("fails a write with an Error naming the cause when it cannot start (its table is gone)", async () => {
    const url = sqliteUrl();
    const db = await openDatabase(url);
    const other = new BetterSqlite3(url.replace(/^file:/, ""));
    other.exec(`DROP TABLE "StoredResponse"`);
    other.close();
    const store = new DatabaseResponseStore(db, { maxMemoryEntries: 10 });
    try {
      const failed = await store.put(sample("resp_nowhere")).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(Error);
      expect((failed as Error).message).toMatch(/writer stopped \(SQLITE_ERROR\)/);
    } finally {
      await store.close();
      await db.close();
    }
  });
});

describe("MemoryResponseStore", () => {
  it("owns an id once and bounds its memory in bytes", async () => {
    const store = new MemoryResponseStore(100, Date.now, 50_000);
    expect(await store.put(sample("resp_m1", { ownerKeyId: "team-a" }))).toBe(true);
    expect(await store.put(sample("resp_m1", { ownerKeyId: "team-b", status: "failed" }))).toBe(false);
    expect((await store.get("resp_m1"))?.status).toBe("completed");
    const text = (chars: number) => [{ type: "message", role: "user", content: [{ type: "input_text", text: "y".repeat(chars) }] }];
    for (let i = 0; i < 10; i++) await store.put(sample(`resp_big${i}`, { inputItems: text(20_000) }));
    expect(store.bytes).toBeLessThanOrEqual(50_000);
    expect(store.size).toBe(2);
    expect(await store.get("resp_big9")).toBeDefined();
    await store.put(sample("resp_toolarge", { inputItems: text(60_000) }));
    expect(await store.get("resp_toolarge")).toBeUndefined();
    expect(store.size).toBe(2);
  });
});

const pgSkip = await postgresAvailable();
describe.skipIf(pgSkip !== undefined)("PostgreSQL", () => {
  storeContract(
    "PostgreSQL",
    async () => {
      const t = await createTestDatabase();
      return { db: await openDatabase(t.url), done: t.drop };
    },
    2000,
  );

  it("survives its idle pooled connections being cut, and connects again", async () => {
    const t = await createTestDatabase();
    const db = await openDatabase(t.url);
    const admin = new pg.Client({ connectionString: t.url });
    try {
      await db.pgPool!.query("SELECT 1");
      await admin.connect();
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      expect(rowCount).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      expect((await db.pgPool!.query("SELECT 1 AS one")).rows[0]).toEqual({ one: 1 });
    } finally {
      await admin.end();
      await db.close().catch(() => undefined);
      await t.drop();
    }
  });

  it("applies migrations once when several replicas start together", async () => {
    const t = await createTestDatabase();
    try {
      const dbs = await Promise.all([openDatabase(t.url), openDatabase(t.url), openDatabase(t.url)]);
      expect(dbs.map((d) => d.applied.length).sort()).toEqual([0, 0, readMigrations("postgresql").length]);
      const client = new pg.Client({ connectionString: t.url });
      await client.connect();
      const { rows } = await client.query(`SELECT migration_name, finished_at FROM "_prisma_migrations"`);
      await client.end();
      expect(rows.map((r: { migration_name: string }) => r.migration_name)).toEqual(readMigrations("postgresql").map((m) => m.name));
      await Promise.all(dbs.map((d) => d.close()));
    } finally {
      await t.drop();
    }
  });
});

describe("SQLite migrations", () => {
  it("creates the file, records every migration, and is idempotent", async () => {
    const url = sqliteUrl();
    const first = await openDatabase(url);
    expect(first.applied).toEqual(readMigrations("sqlite").map((m) => m.name));
    await first.close();
    const second = await openDatabase(url);
    expect(second.applied).toEqual([]);
    await second.close();
    const raw = new BetterSqlite3(url.slice("file:".length));
    const rows = raw.prepare(`SELECT migration_name, checksum FROM "_prisma_migrations"`).all() as Array<{ checksum: string }>;
    expect(rows).toHaveLength(readMigrations("sqlite").length);
    expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    raw.close();
  });

  it("refuses a migration edited after it was applied", () => {
    const raw = new BetterSqlite3(":memory:");
    const migrations = readMigrations("sqlite");
    migrateSqlite(raw, migrations);
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
    expect(() => migrateSqlite(raw, edited)).toThrow(MigrationError);
    raw.close();
  });
});
