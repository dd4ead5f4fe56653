// Live traffic: the trace list for the current filters (kept in the URL), kept current by the
// WebSocket feed; pausing freezes what is shown while the cache keeps filling.

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { keysQuery } from "../../api/queries/keys";
import { modelsQuery } from "../../api/queries/models";
import { tracesQuery } from "../../api/queries/traces";
import type { TraceFilters, TraceSummary } from "../../api/types";
import { useLiveFeed } from "../../hooks/useLiveFeed";
import { useNow } from "../../hooks/useNow";
import { computeLiveStats } from "./live-stats";
import { LivePageView } from "./LivePageView";

function filtersFrom(params: URLSearchParams): TraceFilters {
  const status = params.get("status");
  return {
    model: params.get("model") || undefined,
    key: params.get("key") || undefined,
    status: status === "ok" || status === "error" ? status : undefined,
  };
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

  const setFilters = (next: TraceFilters) => {
    const p = new URLSearchParams();
    if (next.model) p.set("model", next.model);
    if (next.key) p.set("key", next.key);
    if (next.status) p.set("status", next.status);
    setFrozen(null);
    setParams(p, { replace: true });
  };

  return (
    <LivePageView
      rows={shown}
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
