// Stored-response queries: search with cursor pages, one response with its chain.

import { infiniteQueryOptions, keepPreviousData, queryOptions } from "@tanstack/react-query";
import { getResponse, getResponses } from "../client";
import type { ResponseFilters } from "../types";

export const responseKeys = {
  all: ["responses"] as const,
  lists: () => [...responseKeys.all, "list"] as const,
  list: (filters: ResponseFilters) => [...responseKeys.lists(), normalize(filters)] as const,
  details: () => [...responseKeys.all, "detail"] as const,
  detail: (id: string) => [...responseKeys.details(), id] as const,
};

function normalize(filters: ResponseFilters): ResponseFilters {
  const out: ResponseFilters = {};
  if (filters.q?.trim()) out.q = filters.q.trim();
  if (filters.model) out.model = filters.model;
  if (filters.key) out.key = filters.key;
  return out;
}

export const responsesQuery = (filters: ResponseFilters) =>
  infiniteQueryOptions({
    queryKey: responseKeys.list(filters),
    queryFn: ({ pageParam }) => getResponses(normalize(filters), 50, pageParam ?? undefined),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });

export const responseQuery = (id: string) => queryOptions({ queryKey: responseKeys.detail(id), queryFn: () => getResponse(id), staleTime: 60_000 });
