// Trace queries: the live list per filter, one trace's detail, and the pure merges the live feed
// uses to fold WebSocket messages into the cached lists.

import { type QueryClient, keepPreviousData, queryOptions } from "@tanstack/react-query";
import { getTrace, getTraces } from "../client";
import type { TraceFilters, TraceSummary } from "../types";

/** How many rows a live list keeps; older ones fall off the end. */
export const LIVE_LIST_CAP = 500;
/** Rows per fetch of the trace list (the API's most). */
export const TRACE_PAGE_SIZE = 200;

export const traceKeys = {
  all: ["traces"] as const,
  lists: () => [...traceKeys.all, "list"] as const,
  list: (filters: TraceFilters) => [...traceKeys.lists(), normalizeFilters(filters)] as const,
  details: () => [...traceKeys.all, "detail"] as const,
  detail: (id: string) => [...traceKeys.details(), id] as const,
};

export const FILTER_NAMES = ["model", "key", "status", "client", "backend", "finish", "tools", "from", "to", "q"] as const;

export function normalizeFilters(filters: TraceFilters): TraceFilters {
  const out: Record<string, string> = {};
  for (const name of FILTER_NAMES) {
    const v = filters[name];
    if (v) out[name] = v;
  }
  return out as TraceFilters;
}

export const tracesQuery = (filters: TraceFilters) =>
  queryOptions({
    queryKey: traceKeys.list(filters),
    queryFn: async ({ client, queryKey }) => {
      const fresh = (await getTraces(normalizeFilters(filters), TRACE_PAGE_SIZE)).data;
      // What the live feed merged while this fetch was in flight must survive it.
      return keepLiveRows(client.getQueryData<TraceSummary[]>(queryKey), fresh);
    },
    // Changing a filter keeps the old rows on screen until the new ones arrive.
    placeholderData: keepPreviousData,
  });

/** How long a running row the server's list does not know yet is kept. */
const RUNNING_GRACE_MS = 10 * 60_000;

/**
 * The server's list holds finished requests only; rows the live feed added (running ones, and
 * finished ones the trace writer has not stored yet) are kept on top of it.
 */
export function keepLiveRows(cached: TraceSummary[] | undefined, fresh: TraceSummary[], now = Date.now()): TraceSummary[] {
  if (!cached || cached.length === 0) return fresh;
  const known = new Set(fresh.map((t) => t.id));
  const newest = fresh[0]?.startedAt ?? "";
  const extra = cached.filter(
    (t) => !known.has(t.id) && (t.state === "running" ? now - new Date(t.startedAt).getTime() < RUNNING_GRACE_MS : t.startedAt > newest),
  );
  if (extra.length === 0) return fresh;
  return [...extra, ...fresh].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, LIVE_LIST_CAP);
}

export const traceQuery = (id: string) =>
  queryOptions({
    queryKey: traceKeys.detail(id),
    queryFn: () => getTrace(id),
    // A running request is polled until it finishes; a finished trace never changes.
    refetchInterval: (q) => (q.state.data?.state === "running" ? 1000 : false),
  });

/**
 * Whether a trace belongs in the list for these filters (running rows have no status, stop reason
 * or tool calls yet). Text in the captured detail is not in a summary: a text search's list takes
 * no rows from the feed.
 */
export function matchesFilters(trace: TraceSummary, filters: TraceFilters): boolean {
  if (filters.q) return false;
  if (filters.model && trace.model !== filters.model) return false;
  if (filters.key && trace.keyId !== filters.key) return false;
  if (filters.client && trace.clientFormat !== filters.client) return false;
  if (filters.backend && trace.backend !== filters.backend) return false;
  if (filters.status) {
    if (trace.status === null) return false;
    if (filters.status === "ok" ? trace.status >= 400 : trace.status < 400) return false;
  }
  if (filters.finish && trace.finishReason !== filters.finish) return false;
  if (filters.tools && (trace.state !== "finished" || trace.toolCalls > 0 !== (filters.tools === "true"))) return false;
  const from = isoOf(filters.from);
  const to = isoOf(filters.to);
  if (from && trace.startedAt < from) return false;
  if (to && trace.startedAt >= to) return false;
  return true;
}

function isoOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Inserts or replaces a trace, newest first; returns `list` itself when nothing changed. */
export function upsertTrace(list: TraceSummary[], trace: TraceSummary, filters: TraceFilters): TraceSummary[] {
  const at = list.findIndex((t) => t.id === trace.id);
  if (!matchesFilters(trace, filters)) return at === -1 ? list : list.filter((t) => t.id !== trace.id);
  if (at !== -1) {
    const old = list[at]!;
    // A late `started` must not overwrite a `finished` that already arrived.
    if (old.state === "finished" && trace.state === "running") return list;
    if (sameSummary(old, trace)) return list;
    const next = list.slice();
    next[at] = trace;
    return next;
  }
  const next = [trace, ...list];
  next.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return next.length > LIVE_LIST_CAP ? next.slice(0, LIVE_LIST_CAP) : next;
}

export function applyProgress(list: TraceSummary[], id: string, progress: NonNullable<TraceSummary["progress"]>): TraceSummary[] {
  const at = list.findIndex((t) => t.id === id);
  if (at === -1) return list;
  const old = list[at]!;
  if (old.state === "finished") return list;
  const p = old.progress;
  if (p && p.chunks === progress.chunks && p.elapsedMs === progress.elapsedMs && p.completionTokens === progress.completionTokens) return list;
  const next = list.slice();
  next[at] = { ...old, progress };
  return next;
}

function sameSummary(a: TraceSummary, b: TraceSummary): boolean {
  return (
    a.state === b.state &&
    a.status === b.status &&
    a.durationMs === b.durationMs &&
    a.ttftMs === b.ttftMs &&
    a.completionTokens === b.completionTokens &&
    a.promptTokens === b.promptTokens &&
    a.backend === b.backend &&
    a.attempts === b.attempts &&
    a.warnings === b.warnings &&
    a.error === b.error
  );
}

/** Applies `update` to every cached trace list, each with its own filters. */
export function updateTraceLists(queryClient: QueryClient, update: (list: TraceSummary[], filters: TraceFilters) => TraceSummary[]): void {
  for (const [key] of queryClient.getQueriesData<TraceSummary[]>({ queryKey: traceKeys.lists() })) {
    const filters = (key[2] ?? {}) as TraceFilters;
    queryClient.setQueryData<TraceSummary[]>(key, (prev) => (prev === undefined ? prev : update(prev, filters)));
  }
}
