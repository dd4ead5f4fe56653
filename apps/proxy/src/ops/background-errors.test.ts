// Background tasks (trace flush and writer, live feed, metrics fold, background runs, the PostgreSQL
// pool) report their errors to one counter and survive them.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { type Database, TraceWriter, openDatabase } from "@yallmproxy/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../../../packages/db/src/testing/postgres.js";
import { BackgroundRuns } from "../responses/runs.js";
import { parseConfigText } from "../config/load-config.js";
import { ProxyRuntime } from "../runtime.js";
import { LiveFeed } from "./live-feed.js";
import { Metrics } from "./metrics.js";
import type { BackgroundTask } from "./ops.js";
import { Trace } from "./trace.js";
import { TraceSink } from "./trace-sink.js";

const sqliteUrl = () => `file:${join(mkdtempSync(join(tmpdir(), "yallmp-bg-")), "t.db")}`;

function finishedTrace(id: string): Trace {
  const t = new Trace(id, "m", null, "chat", false, "full", { maxBodyBytes: 10_000, maxEvents: 10 });
  t.setClientRequest({ model: "m" }, {});
  t.finish(200);
  return t;
}

const pgSkip = await postgresAvailable();

describe("background errors", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase(sqliteUrl());
  });
  afterAll(async () => {
    await db.close();
  });

  it("a trace that cannot be serialised is dropped and reported; the rest of its batch is written", async () => {
    const errors: Array<[BackgroundTask, unknown]> = [];
    let dropped = 0;
    const sink = new TraceSink(db, {
      queueSize: 100,
      batchSize: 10,
      flushIntervalMs: 60_000,
      retentionHours: 1,
      onDropped: (n) => (dropped += n),
      onError: (task, err) => errors.push([task, err]),
    });
    const bad = finishedTrace("bad");
    bad.detail = () => {
      throw new RangeError("Maximum call stack size exceeded");
    };
    sink.push(finishedTrace("good-1"));
    sink.push(bad);
    sink.push(finishedTrace("good-2"));
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(errors.map(([task]) => task)).toEqual(["trace_flush"]);
    expect(dropped).toBe(1);
    expect(sink.written).toBe(2);
    const ids = (await db.prisma.trace.findMany({ select: { id: true } })).map((r: { id: string }) => r.id).sort();
    expect(ids).toEqual(["good-1", "good-2"]);
    await sink.close();
  });

  it("a trace writer whose worker dies fails its writes, reports it, and the next write starts a new worker", async () => {
    const errors: unknown[] = [];
    const writer = new TraceWriter(db, { onError: (err) => errors.push(err) });
    const row = (id: string) => ({
      id,
      startedAt: new Date(),
      model: "m",
      keyId: null,
      clientFormat: "chat",
      backend: null,
      backendFormat: null,
      stream: false,
      status: 200,
      attempts: 1,
      ttftMs: null,
      durationMs: null,
      promptTokens: null,
      completionTokens: null,
      error: null,
      warnings: 0,
      finishReason: null,
      toolCalls: 0,
      captureLevel: "full",
      detail: "{}",
    });
    await writer.write([row("w-1")]);
    const worker = (writer as unknown as { worker: Worker }).worker;
    await worker.terminate();
    expect(errors).toHaveLength(1);
    await writer.write([row("w-2")]);
    expect(await db.prisma.trace.count({ where: { id: { in: ["w-1", "w-2"] } } })).toBe(2);
    await writer.close();
  });

  it("a live-feed subscriber whose socket throws is dropped without failing the publisher", () => {
    const feed = new LiveFeed();
    const errors: unknown[] = [];
    feed.onError = (err) => errors.push(err);
    const seen: string[] = [];
    feed.subscribe({
      filter: {},
      send: () => {
        throw new Error("socket closed");
      },
      buffered: () => 0,
    });
    feed.subscribe({ filter: {}, send: (t) => seen.push(t), buffered: () => 0 });
    const msg = { type: "request.progress", id: "x", model: "m", keyId: null, chunks: 1, completionTokens: null, elapsedMs: 1 } as const;
    expect(() => feed.publish(msg)).not.toThrow();
    feed.publish(msg);
    expect(errors).toHaveLength(1);
    expect(feed.size).toBe(1);
    expect(seen).toHaveLength(2);
  });

  it("a failing metrics fold is reported and later requests are still counted", async () => {
    const metrics = new Metrics();
    const errors: unknown[] = [];
    metrics.onFoldError = (err) => errors.push(err);
    const broken = {
      backend: "b",
      status: 200,
      clientFormat: "chat",
      durationMs: Number.NaN,
      ttftMs: null,
      promptTokens: null,
      completionTokens: null,
    } as unknown as Trace;
    metrics.observe(broken, "m");
    await expect(metrics.text()).resolves.toContain("yallmp_requests_total");
    expect(errors).toHaveLength(1);
    const ok = finishedTrace("ok");
    metrics.observe(ok, "m");
    expect(await metrics.text()).toMatch(/yallmp_requests_total\{model="m",backend="none",client_format="chat",status="200"\} 1/);
  });

  it("a background run that fails after its client was answered is reported", async () => {
    const runs = new BackgroundRuns();
    const errors: unknown[] = [];
    runs.onError = (err) => errors.push(err);
    runs.start("r1", async () => {
      throw new Error("store write failed");
    });
    await runs.close();
    expect(errors).toHaveLength(1);
  });

  it.skipIf(pgSkip !== undefined)("a broken idle PostgreSQL connection is counted, not thrown", async () => {
    const { url, drop } = await createTestDatabase();
    const { config } = parseConfigText("model_list: []\n", "/tmp/none.yaml", { DATABASE_URL: url }, { DATABASE_URL: url });
    const runtime = await ProxyRuntime.create(config);
    try {
      expect(() => runtime.database?.pgPool?.emit("error", new Error("terminating connection due to administrator command"))).not.toThrow();
      expect(await runtime.ops.metrics.text()).toContain('yallmp_background_errors_total{task="pg_pool"} 1');
    } finally {
      await runtime.close();
      await drop();
    }
  });
});
