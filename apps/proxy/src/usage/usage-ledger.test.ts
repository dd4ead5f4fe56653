// The usage ledger folds each request into its pending roll-up at once: it keeps no trace alive
// until its timer (traces held that long outlived the young generation and made every garbage
// collection of a busy proxy dearer), and its bound counts roll-ups, not requests.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type Database, UsageStore, openDatabase } from "@yallmproxy/db";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText } from "../config/load-config.js";
import { Trace } from "../ops/trace.js";
import { UsageLedger } from "./usage-ledger.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const config = parseConfigText(
  `model_list:
  - model_name: m
    model_params: { api_type: mock, pricing: { input: 1, output: 2 } }
proxy_settings:
  usage: { flush_interval_ms: 60000, queue_size: 2 }
`,
  "/tmp/config.yaml",
  {},
).config;

function answered(model: string, promptTokens: number, completionTokens: number): Trace {
  const t = new Trace(`t-${Math.random()}`, model, "k", "chat", false, "metadata", { maxBodyBytes: 1000, maxEvents: 10 });
  t.backend = model;
  t.promptTokens = promptTokens;
  t.completionTokens = completionTokens;
  t.finishReason = "stop";
  t.finish(200);
  return t;
}

let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

async function ledger(dropped: number[]): Promise<{ ledger: UsageLedger; store: UsageStore }> {
  db = await openDatabase(`file:${join(mkdtempSync(join(tmpdir(), "yallmp-ledger-")), "u.db")}`);
  const l = new UsageLedger(db, { config: () => config, onDropped: (n) => dropped.push(n), onError: () => {} });
  return { ledger: l, store: new UsageStore(db) };
}

describe("usage ledger", () => {
  it("keeps no reference to a trace it has counted", async () => {
    const { ledger: l } = await ledger([]);
    const ref = (() => {
      const t = answered("m", 10, 5);
      l.push(t);
      return new WeakRef(t);
    })();
    // Twice: the second collection also frees what the first could only mark.
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setImmediate(r));
      collectGarbage();
    }
    expect(ref.deref()).toBeUndefined();
    await l.close();
  });

  it("sums requests into their roll-up, priced, and bounds the pending roll-ups by queue_size", async () => {
    const dropped: number[] = [];
    const { ledger: l, store } = await ledger(dropped);
    l.push(answered("m", 1000, 500));
    l.push(answered("m", 2000, 0));
    l.push(answered("other", 1, 1)); // a second roll-up: the bound is 2
    l.push(answered("third", 1, 1)); // a third: dropped
    l.push(answered("m", 1, 1)); // joins the first: counted
    expect(dropped).toEqual([1]);
    await l.close();
    const hour = Math.floor(Date.now() / 3_600_000);
    const rows = await store.query({ fromHour: hour - 1, toHour: hour + 1, groupBy: ["model"], granularity: "total" });
    const m = rows.find((r) => r.model === "m")!;
    expect(m.requests).toBe(3);
    expect(m.inputTokens).toBe(3001);
    expect(m.outputTokens).toBe(501);
    expect(m.costUsd).toBeCloseTo((3001 * 1 + 501 * 2) / 1_000_000, 12);
    expect(rows.find((r) => r.model === "other")?.requests).toBe(1);
    expect(rows.find((r) => r.model === "third")).toBeUndefined();
  });

  it("drops and reports a request it cannot add, without throwing into the request that ended", async () => {
    db = await openDatabase(`file:${join(mkdtempSync(join(tmpdir(), "yallmp-ledger-")), "u.db")}`);
    let broken = false;
    const dropped: number[] = [];
    const errors: string[] = [];
    const l = new UsageLedger(db, {
      config: () => {
        if (broken) throw new Error("config unreadable");
        return config;
      },
      onDropped: (n) => dropped.push(n),
      onError: (task) => errors.push(task),
    });
    broken = true;
    expect(() => l.push(answered("m", 1, 1))).not.toThrow();
    expect(dropped).toEqual([1]);
    expect(errors).toEqual(["usage_fold"]);
    broken = false;
    await l.close();
  });
});
