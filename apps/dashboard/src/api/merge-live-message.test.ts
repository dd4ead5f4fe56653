// Live rows: how feed messages fold into the cached trace lists of a real QueryClient, and how a
// fresh fetch of a list keeps the rows the feed added meanwhile.

import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { mergeLiveMessage } from "./merge-live-message";
import { LIVE_LIST_CAP, applyProgress, keepLiveRows, matchesFilters, traceKeys, upsertTrace } from "./queries/traces";
import type { TraceFilters, TraceSummary } from "./types";

const T0 = Date.parse("2026-12-01T12:00:00Z");

function row(id: string, secondsAfter: number, over: Partial<TraceSummary> = {}): TraceSummary {
  return {
    id,
    startedAt: new Date(T0 + secondsAfter * 1000).toISOString(),
    model: "m",
    keyId: "k1",
    clientFormat: "chat",
    backend: "m",
    backendFormat: "chat",
    stream: true,
    status: 200,
    state: "finished",
    attempts: 1,
    ttftMs: 10,
    durationMs: 100,
    promptTokens: 5,
    completionTokens: 7,
    error: null,
    warnings: 0,
    finishReason: null,
    toolCalls: 0,
    ...over,
  };
}

const running = (id: string, s: number, over: Partial<TraceSummary> = {}) =>
  row(id, s, { state: "running", status: null, durationMs: null, completionTokens: null, ...over });
const ids = (list: TraceSummary[] | undefined) => list?.map((t) => t.id);

describe("matchesFilters", () => {
  it("filters by model, key and ok/error status; a running row matches no status filter", () => {
    const ok = row("a", 0);
    const failed = row("b", 0, { status: 502 });
    expect(matchesFilters(ok, {})).toBe(true);
    expect(matchesFilters(ok, { model: "m", key: "k1" })).toBe(true);
    expect(matchesFilters(ok, { model: "other" })).toBe(false);
    expect(matchesFilters(ok, { key: "k2" })).toBe(false);
    expect(matchesFilters(ok, { status: "ok" })).toBe(true);
    expect(matchesFilters(ok, { status: "error" })).toBe(false);
    expect(matchesFilters(failed, { status: "error" })).toBe(true);
    expect(matchesFilters(row("c", 0, { status: 399 }), { status: "ok" })).toBe(true);
    expect(matchesFilters(row("d", 0, { status: 400 }), { status: "error" })).toBe(true);
    expect(matchesFilters(running("r", 0), { status: "ok" })).toBe(false);
  });

  it("filters by client format, backend, stop reason, tool calls and date range; a text search takes no feed rows", () => {
    const tool = row("t", 10, { finishReason: "tool_calls", toolCalls: 2, clientFormat: "messages", backend: "b2" });
    const plain = row("p", 20, { finishReason: "stop" });
    expect(matchesFilters(tool, { client: "messages", backend: "b2", finish: "tool_calls", tools: "true" })).toBe(true);
    expect(matchesFilters(plain, { client: "messages" })).toBe(false);
    expect(matchesFilters(plain, { backend: "b2" })).toBe(false);
    expect(matchesFilters(plain, { finish: "tool_calls" })).toBe(false);
    expect(matchesFilters(plain, { tools: "true" })).toBe(false);
    expect(matchesFilters(plain, { tools: "false" })).toBe(true);
    expect(matchesFilters(running("r", 0), { tools: "false" })).toBe(false);
    const at = (s: number) => new Date(T0 + s * 1000).toISOString();
    expect(matchesFilters(tool, { from: at(10), to: at(20) })).toBe(true);
    expect(matchesFilters(plain, { from: at(10), to: at(20) })).toBe(false);
    expect(matchesFilters(plain, { from: "not a date" })).toBe(true);
    expect(matchesFilters(plain, { q: "anything" })).toBe(false);
  });
});

describe("upsertTrace", () => {
  it("inserts newest first, replaces in place, and returns the same list when nothing changed", () => {
    const list = [row("b", 2), row("a", 1)];
    const withC = upsertTrace(list, row("c", 3), {});
    expect(ids(withC)).toEqual(["c", "b", "a"]);
    const older = upsertTrace(withC, row("z", 0), {});
    expect(ids(older)).toEqual(["c", "b", "a", "z"]);
    expect(upsertTrace(withC, row("b", 2), {})).toBe(withC);
    const replaced = upsertTrace(withC, row("b", 2, { durationMs: 999 }), {});
    expect(replaced).not.toBe(withC);
    expect(replaced[1]?.durationMs).toBe(999);
  });

  it("never lets a late started message undo a finished row", () => {
    const list = [row("a", 1)];
    expect(upsertTrace(list, running("a", 1), {})).toBe(list);
  });

  it("drops a row that stops matching the list's filters", () => {
    const list = [running("a", 1), row("b", 0)];
    expect(ids(upsertTrace(list, row("a", 1, { status: 500 }), { status: "ok" }))).toEqual(["b"]);
    // One that never matched is not added.
    expect(upsertTrace(list, row("x", 5, { model: "other" }), { model: "m" })).toBe(list);
  });

  it("keeps at most LIVE_LIST_CAP rows, losing the oldest", () => {
    const full = Array.from({ length: LIVE_LIST_CAP }, (_, i) => row(`r${i}`, -i));
    const next = upsertTrace(full, row("new", 1), {});
    expect(next).toHaveLength(LIVE_LIST_CAP);
    expect(next[0]?.id).toBe("new");
    expect(ids(next)).not.toContain(`r${LIVE_LIST_CAP - 1}`);
  });
});

describe("applyProgress", () => {
  it("updates a running row only, and only when the numbers moved", () => {
    const list = [running("a", 1), row("b", 0)];
    const p = { chunks: 3, completionTokens: 2, elapsedMs: 50 };
    const next = applyProgress(list, "a", p);
    expect(next[0]?.progress).toEqual(p);
    expect(applyProgress(next, "a", { ...p })).toBe(next);
    expect(applyProgress(list, "b", p)).toBe(list);
    expect(applyProgress(list, "missing", p)).toBe(list);
  });
});

describe("keepLiveRows", () => {
  const now = T0 + 60_000;

  it("is the fresh list when nothing was cached", () => {
    const fresh = [row("a", 1)];
    expect(keepLiveRows(undefined, fresh, now)).toBe(fresh);
    expect(keepLiveRows([], fresh, now)).toBe(fresh);
  });

  it("keeps running rows and finished rows newer than the server knows, sorted newest first", () => {
    const fresh = [row("b", 10), row("a", 5)];
    const cached = [running("live", 20), row("unstored", 15), row("b", 10), row("stale", 1)];
    expect(ids(keepLiveRows(cached, fresh, now))).toEqual(["live", "unstored", "b", "a"]);
  });

  it("lets a running row the server never reports go after ten minutes", () => {
    const fresh = [row("a", 30)];
    const stuck = running("stuck", 0);
    expect(ids(keepLiveRows([stuck], fresh, T0 + 9 * 60_000))).toEqual(["a", "stuck"]);
    expect(ids(keepLiveRows([stuck], fresh, T0 + 11 * 60_000))).toEqual(["a"]);
  });
});

describe("mergeLiveMessage", () => {
  function client(lists: Array<[TraceFilters, TraceSummary[]]>): QueryClient {
    const qc = new QueryClient();
    for (const [filters, list] of lists) qc.setQueryData(traceKeys.list(filters), list);
    return qc;
  }
  const list = (qc: QueryClient, filters: TraceFilters) => ids(qc.getQueryData<TraceSummary[]>(traceKeys.list(filters)));

  it("puts a started request into every cached list whose filters it matches", () => {
    const qc = client([
      [{}, [row("a", 0)]],
      [{ model: "m" }, []],
      [{ model: "other" }, []],
      [{ status: "ok" }, []],
    ]);
    mergeLiveMessage(qc, { type: "request.started", trace: running("r", 5) });
    expect(list(qc, {})).toEqual(["r", "a"]);
    expect(list(qc, { model: "m" })).toEqual(["r"]);
    expect(list(qc, { model: "other" })).toEqual([]);
    expect(list(qc, { status: "ok" })).toEqual([]);
  });

  it("follows a request through progress to finished, and refreshes its detail", async () => {
    const qc = client([
      [{}, []],
      [{ status: "error" }, []],
    ]);
    qc.setQueryData(traceKeys.detail("r"), { id: "r", state: "running" });
    mergeLiveMessage(qc, { type: "request.started", trace: running("r", 5) });
    mergeLiveMessage(qc, { type: "request.progress", id: "r", chunks: 4, completionTokens: 3, elapsedMs: 80 });
    expect(qc.getQueryData<TraceSummary[]>(traceKeys.list({}))?.[0]?.progress).toEqual({ chunks: 4, completionTokens: 3, elapsedMs: 80 });
    mergeLiveMessage(qc, { type: "request.finished", trace: row("r", 5, { status: 502, error: "upstream failed" }) });
    const [finished] = qc.getQueryData<TraceSummary[]>(traceKeys.list({}))!;
    expect(finished).toMatchObject({ state: "finished", status: 502, error: "upstream failed" });
    expect(list(qc, { status: "error" })).toEqual(["r"]);
    expect(qc.getQueryState(traceKeys.detail("r"))?.isInvalidated).toBe(true);
  });

  it("marks every list stale when the feed says messages were dropped", () => {
    const qc = client([
      [{}, []],
      [{ model: "m" }, []],
    ]);
    mergeLiveMessage(qc, { type: "hello", serverTime: new Date(T0).toISOString() });
    expect(qc.getQueryState(traceKeys.list({}))?.isInvalidated).toBe(false);
    mergeLiveMessage(qc, { type: "dropped", count: 12 });
    expect(qc.getQueryState(traceKeys.list({}))?.isInvalidated).toBe(true);
    expect(qc.getQueryState(traceKeys.list({ model: "m" }))?.isInvalidated).toBe(true);
  });
});
