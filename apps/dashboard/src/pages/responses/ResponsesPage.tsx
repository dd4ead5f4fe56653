// Stored responses: search by text and model (kept in the URL), newest first, page by page.

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useSearchParams } from "react-router-dom";
import { modelsQuery } from "../../api/queries/models";
import { responsesQuery } from "../../api/queries/responses";
import type { ResponseFilters } from "../../api/types";
import { ResponsesPageView } from "./ResponsesPageView";

export function ResponsesPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo<ResponseFilters>(
    () => ({ q: params.get("q") || undefined, model: params.get("model") || undefined, key: params.get("key") || undefined }),
    [params],
  );
  const results = useInfiniteQuery(responsesQuery(filters));
  const models = useQuery(modelsQuery());
  const rows = useMemo(() => results.data?.pages.flatMap((p) => p.data), [results.data]);
  return (
    <ResponsesPageView
      filters={filters}
      onSearch={(next) => {
        const p = new URLSearchParams();
        if (next.q) p.set("q", next.q);
        if (next.model) p.set("model", next.model);
        if (next.key) p.set("key", next.key);
        setParams(p, { replace: true });
      }}
      models={(models.data ?? []).map((m) => m.name)}
      rows={rows}
      error={results.error}
      onRetry={() => void results.refetch()}
      hasMore={results.hasNextPage}
      loadingMore={results.isFetchingNextPage}
      onLoadMore={() => void results.fetchNextPage()}
    />
  );
}
