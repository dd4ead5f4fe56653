// The trace sink writes in full batches: traces that arrive while a batch is being written wait for
// a full batch or the timer, instead of each write carrying the few that came in meanwhile. A trace
// without bodies waits as its row: the trace itself is not kept.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { TraceStore, openDatabase } from "@yallmproxy/db";
import { describe, expect, it } from "vitest";
import { Trace } from "./trace.js";
import { TraceSink } from "./trace-sink.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

function finished(id: string): Trace {
  const t = new Trace(id, "m", null, "chat", false, "metadata", { maxBodyBytes: 10_000, maxEvents: 10 });
  t.finish(200);
  return t;
}

describe("trace sink batches", () => {
  it("writes full batches while traces keep arriving, and the rest on an explicit flush", async () => {
    const db = await openDatabase(`file:${join(mkdtempSync(join(tmpdir(), "yallmp-sink-")), "t.db")}`);
    const sink = new TraceSink(db, { queueSize: 1000, batchSize: 10, flushIntervalMs: 60_000, retentionHours: 1 });
    const sizes: number[] = [];
    const write = sink.writer.write.bind(sink.writer);
    sink.writer.write = async (rows) => {
      sizes.push(rows.length);
      // Traces keep arriving while this batch is written.
      for (let i = 0; i < 3; i++) sink.push(finished(`late-${sizes.length}-${i}`));
      return write(rows);
    };
    for (let i = 0; i < 10; i++) sink.push(finished(`t-${i}`));
    await new Promise((r) => setTimeout(r, 200));
    expect(sizes.every((n) => n === 10)).toBe(true);
    await sink.flush();
    expect(sink.written).toBe(sizes.reduce((a, b) => a + b, 0));
    await sink.close();
    await db.close();
  });

  it("keeps a metadata trace as its row only, and writes it and a full trace alike", async () => {
    const db = await openDatabase(`file:${join(mkdtempSync(join(tmpdir(), "yallmp-sink-")), "t.db")}`);
    const sink = new TraceSink(db, { queueSize: 1000, batchSize: 100, flushIntervalMs: 60_000, retentionHours: 1 });
    const ref = (() => {
      const t = finished("meta-1");
      sink.push(t);
      return new WeakRef(t);
    })();
    const full = new Trace("full-1", "m", null, "chat", false, "full", { maxBodyBytes: 10_000, maxEvents: 10 });
    full.setClientRequest({ model: "m", messages: [{ role: "user", content: "fox" }] }, { "content-type": "application/json" });
    full.finish(200);
    sink.push(full);
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setImmediate(r));
      collectGarbage();
    }
    expect(ref.deref()).toBeUndefined();
    await sink.flush();
    const store = new TraceStore(db);
    expect((await store.get("meta-1"))?.status).toBe(200);
    expect((await store.get("full-1"))?.detail).toContain('"content":"fox"');
    await sink.close();
    await db.close();
  });
});
