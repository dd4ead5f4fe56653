// What the traces' text index holds, on both providers: traces with something to find beyond their
// columns (bodies, an error, a failed status, a retry, a warning); a plain success at `metadata`
// is found by the filters alone. Deletes leave the index consistent, and a database made before
// the index was scoped keeps its rows searchable through the upgrade.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./database.js";
import { migrateSqlite, readMigrations } from "./migrate.js";
import { createTestDatabase, postgresAvailable } from "./testing/postgres.js";
import { TraceStore } from "./trace-store.js";
import { type TraceRow, TraceWriter } from "./trace-writer.js";

const detail = (words: string) => JSON.stringify({ attempts: [{ backend: "b", outcome: "answered" }], words });

let n = 0;
function row(over: Partial<TraceRow>): TraceRow {
  n += 1;
  return {
    id: `trace-${String(n).padStart(4, "0")}`,
    startedAt: new Date(Date.UTC(2026, 11, 1, 0, 0, n)),
    model: "m",
    keyId: null,
    clientFormat: "chat",
    backend: "b",
    backendFormat: "chat",
    stream: false,
    status: 200,
    attempts: 1,
    ttftMs: 1,
    durationMs: 2,
    promptTokens: 1,
    completionTokens: 1,
    error: null,
    warnings: 0,
    captureLevel: "metadata",
    finishReason: "stop",
    toolCalls: 0,
    detail: detail(""),
    ...over,
  };
}

function contract(name: string, open: () => Promise<{ db: Database; done(): Promise<void> }>): void {
  describe(`trace text search on ${name}`, () => {
    let db: Database;
    let done: () => Promise<void>;
    let store: TraceStore;
    const find = async (text: string) => (await store.list({ text }, 50)).map((r) => r.id).sort();

    beforeAll(async () => {
      ({ db, done } = await open());
      store = new TraceStore(db);
      const writer = new TraceWriter(db);
      await writer.write([
        row({ id: "plain", detail: detail("walrus plain") }),
        row({ id: "errored", status: 502, error: "upstream closed", detail: detail("walrus errored") }),
        row({ id: "retried", attempts: 2, detail: detail("walrus retried") }),
        row({ id: "warned", warnings: 1, detail: detail("walrus warned") }),
        row({ id: "full", captureLevel: "full", detail: detail("walrus body") }),
        row({ id: "unfinished", status: null, detail: detail("walrus unfinished") }),
        row({ id: "refused", status: 429, detail: detail("walrus refused") }),
      ]);
      // A trace written twice (a retried batch) keeps its first text and nothing of the second.
      await writer.write([row({ id: "errored", status: 502, error: "again", detail: detail("seal") })]);
      await writer.close();
    });
    afterAll(() => done());

    it("indexes bodies, errors, failed statuses, retries and warnings, not a plain success at metadata", async () => {
      expect(await find("walrus")).toEqual(["errored", "full", "refused", "retried", "unfinished", "warned"]);
      expect(await find("plain")).toEqual([]);
      expect(await find("seal")).toEqual([]);
      // The plain success is still there for the filters.
      expect((await store.list({ backend: "b" }, 50)).map((r) => r.id)).toContain("plain");
    });

    it("keeps the index consistent when traces are deleted", async () => {
      expect(await store.deleteStartedBefore(new Date(Date.UTC(2027, 0, 1)), 500)).toBe(7);
      expect(await find("walrus")).toEqual([]);
      const writer = new TraceWriter(db);
      await writer.write([row({ id: "again", error: "boom", status: 500, detail: detail("walrus again") })]);
      await writer.close();
      expect(await find("walrus")).toEqual(["again"]);
    });
  });
}

contract("SQLite", async () => {
  const db = await openDatabase(`file:${join(mkdtempSync(join(tmpdir(), "yallmp-trace-search-")), "t.db")}`);
  return { db, done: () => db.close() };
});

const pgMissing = await postgresAvailable();
if (!pgMissing)
  contract("PostgreSQL", async () => {
    const test = await createTestDatabase();
    const db = await openDatabase(test.url);
    return {
      db,
      done: async () => {
        await db.close();
        await test.drop();
      },
    };
  });

describe("upgrading a SQLite database made before the index was scoped", () => {
  it("keeps its searchable traces searchable and drops plain successes from the index", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "yallmp-trace-upgrade-")), "t.db");
    const raw = new BetterSqlite3(file);
    migrateSqlite(
      raw,
      readMigrations("sqlite").filter((m) => m.name < "20261203000000"),
    );
    const insert = raw.prepare(
      `INSERT INTO "Trace" ("id", "startedAt", "model", "clientFormat", "stream", "status", "attempts", "warnings", "captureLevel", "error", "detail")
       VALUES (?, '2026-12-01T00:00:00.000+00:00', 'm', 'chat', 0, ?, 1, 0, ?, ?, ?)`,
    );
    insert.run("old-plain", 200, "metadata", null, detail("narwhal"));
    insert.run("old-error", 500, "metadata", "boom", detail("narwhal"));
    insert.run("old-full", 200, "full", null, detail("narwhal"));
    raw.close();
    const db = await openDatabase(`file:${file}`);
    try {
      const ids = (await new TraceStore(db).list({ text: "narwhal" }, 50)).map((r) => r.id).sort();
      expect(ids).toEqual(["old-error", "old-full"]);
    } finally {
      await db.close();
    }
  });
});
