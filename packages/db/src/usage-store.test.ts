// The usage ledger's table on both providers: rows added to in place by several writers at once,
// read back per hour, per day and in total, grouped or not, and pruned.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./database.js";
import { createTestDatabase, postgresAvailable } from "./testing/postgres.js";
import { type UsageDelta, UsageStore } from "./usage-store.js";

const DAY = 24;
const base = 20_000 * DAY; // a UTC midnight, in hours since the epoch

function delta(over: Partial<UsageDelta>): UsageDelta {
  return {
    hour: base,
    keyId: "a",
    model: "m",
    backend: "b",
    finishReason: "stop",
    requests: 1,
    errors: 0,
    inputTokens: 10,
    outputTokens: 5,
    cachedTokens: 2,
    cacheWriteTokens: 0,
    reasoningTokens: 1,
    costUsd: 0.25,
    unpricedRequests: 0,
    toolCalls: 0,
    latencyMsSum: 100,
    ttftMsSum: 10,
    ttftCount: 1,
    ...over,
  };
}

function contract(name: string, open: () => Promise<{ dbs: [Database, Database]; done(): Promise<void> }>): void {
  describe(`UsageStore on ${name}`, () => {
    let dbs: [Database, Database];
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ dbs, done } = await open());
    });
    afterAll(() => done());

    it("adds concurrent writers' deltas to the same rows, and groups them by hour, day or in total", async () => {
      const [one, two] = dbs.map((db) => new UsageStore(db)) as [UsageStore, UsageStore];
      const batch = (n: number) => [
        delta({}),
        delta({ hour: base + 1, keyId: "b", finishReason: "length", inputTokens: 1_000_000_000_000 }),
        delta({ hour: base + 25, model: "n", costUsd: 0, unpricedRequests: 1, finishReason: "", errors: 1 }),
        delta({ hour: base + 2, toolCalls: n }),
      ];
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).add(batch(i))));
      const hourly = await one.query({ fromHour: base, toHour: base + 47, groupBy: ["key", "model"], granularity: "hour" });
      expect(hourly.map((r) => [r.hour - base, r.keyId, r.model, r.requests])).toEqual([
        [0, "a", "m", 10],
        [1, "b", "m", 10],
        [2, "a", "m", 10],
        [25, "a", "n", 10],
      ]);
      expect(hourly[1]!.inputTokens).toBe(10_000_000_000_000);
      expect(hourly[1]!.finishReasons).toEqual({ length: 10 });
      expect(hourly[2]!.toolCalls).toBe(45);
      const daily = await two.query({ fromHour: base, toHour: base + 47, groupBy: ["model"], granularity: "day" });
      expect(daily.map((r) => [r.hour - base, r.model, r.requests, r.errors, r.unpricedRequests])).toEqual([
        [0, "m", 30, 0, 0],
        [24, "n", 10, 10, 10],
      ]);
      expect(daily[0]!.costUsd).toBeCloseTo(7.5, 10);
      expect(daily[0]!.finishReasons).toEqual({ stop: 20, length: 10 });
      const total = await two.query({ fromHour: base, toHour: base + 23, groupBy: [], granularity: "total", keyId: "a" });
      expect(total).toHaveLength(1);
      expect(total[0]).toMatchObject({ requests: 20, outputTokens: 100, latencyMsSum: 2000, ttftCount: 20 });
    });

    it("deletes the hours before a cutoff", async () => {
      const store = new UsageStore(dbs[0]);
      expect(await store.deleteBefore(base + 24)).toBe(3);
      const left = await store.query({ fromHour: 0, toHour: base + 100, groupBy: [], granularity: "hour" });
      expect(left.map((r) => r.hour - base)).toEqual([25]);
    });
  });
}

contract("SQLite", async () => {
  const url = `file:${join(mkdtempSync(join(tmpdir(), "yallmp-usage-")), "usage.db")}`;
  const dbs: [Database, Database] = [await openDatabase(url), await openDatabase(url)];
  return { dbs, done: async () => void (await Promise.all(dbs.map((d) => d.close()))) };
});

const pgMissing = await postgresAvailable();
if (!pgMissing)
  contract("PostgreSQL", async () => {
    const test = await createTestDatabase();
    const dbs: [Database, Database] = [await openDatabase(test.url), await openDatabase(test.url)];
    return {
      dbs,
      done: async () => {
        await Promise.all(dbs.map((d) => d.close()));
        await test.drop();
      },
    };
  });
