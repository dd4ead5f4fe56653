import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./database.js";
import { DatabaseResponseStore } from "./database-response-store.js";
import { MigrationError, migrateSqlite, readMigrations } from "./migrate.js";
import type { StoredResponse } from "./response-store.js";
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
    });
  });
}

storeContract("SQLite", async () => ({ db: await openDatabase(sqliteUrl()), done: async () => {} }), 10_000);

const pgSkip = await postgresAvailable();
describe.skipIf(pgSkip !== undefined)("PostgreSQL", () => {
  storeContract("PostgreSQL", async () => {
    const t = await createTestDatabase();
    return { db: await openDatabase(t.url), done: t.drop };
  }, 2000);

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
