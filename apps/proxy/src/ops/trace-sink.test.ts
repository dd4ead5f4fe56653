// The trace sink writes in full batches: traces that arrive while a batch is being written wait for
// a full batch or the timer, instead of each write carrying the few that came in meanwhile.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@yallmproxy/db";
import { describe, expect, it } from "vitest";
import { Trace } from "./trace.js";
import { TraceSink } from "./trace-sink.js";

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
});
