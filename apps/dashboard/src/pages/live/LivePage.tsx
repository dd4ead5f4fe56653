// Live traffic: the trace list for the current filters (kept in the URL), kept current by the
// WebSocket feed; pausing freezes what is shown while the cache keeps filling.

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { keysQuery } from "../../api/queries/keys";
import { modelsQuery } from "../../api/queries/models";
import { getTraces } from "../../api/client";
import { FILTER_NAMES, TRACE_PAGE_SIZE, normalizeFilters, tracesQuery } from "../../api/queries/traces";
import type { TraceFilters, TraceSummary } from "../../api/types";
import { useLiveFeed } from "../../hooks/useLiveFeed";
import { useNow } from "../../hooks/useNow";
import { computeLiveStats } from "./live-stats";
import { LivePageView } from "./LivePageView";

function filtersFrom(params: URLSearchParams): TraceFilters {
  const out: Record<string, string> = {};
  for (const name of FILTER_NAMES) {
    const v = params.get(name);
    if (v) out[name] = v;
  }
  const filters = out as TraceFilters;
  if (filters.status && filters.status !== "ok" && filters.status !== "error") delete filters.status;
  if (filters.tools && filters.tools !== "true" && filters.tools !== "false") delete filters.tools;
  return filters;
}

/**
 * Rows older than the live list, fetched on request: the filters with `to` just past the oldest row
 * shown (rows of its millisecond come again and are dropped as seen), then that query's cursor.
 */
interface OlderRows {
  filters: string;
  query: TraceFilters;
  rows: TraceSummary[];
  cursor: string | null;
}

export function LivePage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFrom(params), [params]);
  const traces = useQuery(tracesQuery(filters));
  const models = useQuery(modelsQuery());
  const keys = useQuery(keysQuery());
  const feed = useLiveFeed(filters);
  const [frozen, setFrozen] = useState<{ rows: TraceSummary[]; at: number } | null>(null);
  const now = useNow(2000, frozen !== null);

  const live = traces.data;
  const shown = frozen?.rows ?? live;
  const newWhilePaused = useMemo(() => {
    if (!frozen || !live) return 0;
    const seen = new Set(frozen.rows.map((r) => r.id));
    return live.filter((r) => !seen.has(r.id)).length;
  }, [frozen, live]);
  const stats = useMemo(() => computeLiveStats(shown ?? [], frozen?.at ?? now), [shown, frozen, now]);

  const filterKey = JSON.stringify(normalizeFilters(filters));
  const [olderState, setOlder] = useState<OlderRows | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const older = olderState?.filters === filterKey ? olderState : null;
  const oldest = shown?.[shown.length - 1];
  const hasOlder = older ? older.cursor !== null : (shown?.length ?? 0) >= TRACE_PAGE_SIZE;
  const loadOlder = async () => {
    if (!oldest) return;
    const q = older?.query ?? { ...normalizeFilters(filters), to: new Date(Date.parse(oldest.startedAt) + 1).toISOString() };
    setLoadingOlder(true);
    try {
      const page = await getTraces(q, TRACE_PAGE_SIZE, older?.cursor ?? undefined);
      setOlder({ filters: filterKey, query: q, rows: [...(older?.rows ?? []), ...page.data], cursor: page.next_cursor });
    } finally {
      setLoadingOlder(false);
    }
  };
  const rows = useMemo(() => {
    if (!shown || !older) return shown;
    const seen = new Set(shown.map((r) => r.id));
    return [...shown, ...older.rows.filter((r) => !seen.has(r.id))];
  }, [shown, older]);

  // Applied to the URL as it is now: a navigation renders in a transition, so `filters` can be a
  // render behind when two changes come quickly, and building on it would undo the first.
  const setFilters = (change: Partial<TraceFilters>) => {
    const next = { ...filtersFrom(new URLSearchParams(window.location.search)), ...change };
    const p = new URLSearchParams();
    for (const [name, value] of Object.entries(normalizeFilters(next))) p.set(name, value);
    setFrozen(null);
    setParams(p, { replace: true });
  };

  return (
    <LivePageView
      rows={rows}
      hasOlder={hasOlder}
      loadingOlder={loadingOlder}
      onLoadOlder={() => void loadOlder()}
      error={traces.error}
      onRetry={() => void traces.refetch()}
      stats={stats}
      connection={feed.status}
      dropped={feed.dropped}
      filters={filters}
      onFiltersChange={setFilters}
      models={(models.data ?? []).map((m) => m.name)}
      keys={(keys.data?.data ?? []).map((k) => k.keyId)}
      paused={frozen !== null}
      newWhilePaused={newWhilePaused}
      onTogglePause={() => setFrozen(frozen ? null : { rows: live ?? [], at: Date.now() })}
      proxyOrigin={window.location.origin}
    />
  );
}
