import { describe, expect, it } from "vitest";
import { DatabaseHealth } from "./health.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("database health", () => {
  it("is none without a database, ok when the check answers, unreachable when it throws", async () => {
    expect(await new DatabaseHealth(undefined).state()).toBe("none");
    expect(await new DatabaseHealth(async () => 1).state()).toBe("ok");
    expect(await new DatabaseHealth(async () => Promise.reject(new Error("ECONNREFUSED"))).state()).toBe("unreachable");
    expect(
      await new DatabaseHealth(() => {
        throw new Error("sync");
      }).state(),
    ).toBe("unreachable");
  });

  it("checks once for a burst of probes and reuses the answer for maxAgeMs", async () => {
    let calls = 0;
    const h = new DatabaseHealth(
      async () => {
        calls += 1;
        await sleep(5);
      },
      { maxAgeMs: 50 },
    );
    expect(await Promise.all(Array.from({ length: 20 }, () => h.state()))).toEqual(Array(20).fill("ok"));
    expect(await h.state()).toBe("ok");
    expect(calls).toBe(1);
    await sleep(60);
    await h.state();
    expect(calls).toBe(2);
  });

  it("answers unreachable after timeoutMs when the check hangs, and never stacks another check on it", async () => {
    let calls = 0;
    let release: () => void = () => {};
    // The first check hangs until released; later ones answer at once.
    const h = new DatabaseHealth(
      () => {
        calls += 1;
        return calls === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      { maxAgeMs: 0, timeoutMs: 30 },
    );
    const started = performance.now();
    expect(await h.state()).toBe("unreachable");
    expect(performance.now() - started).toBeLessThan(500);
    expect(await h.state()).toBe("unreachable");
    expect(calls).toBe(1);
    release();
    await sleep(1);
    expect(await h.state()).toBe("ok");
    expect(calls).toBe(2);
  });
});
