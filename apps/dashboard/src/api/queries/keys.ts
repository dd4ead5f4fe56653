// API key queries: the configured app keys (ids and limits, never secrets).

import { queryOptions } from "@tanstack/react-query";
import { getKeys } from "../client";

export const keyKeys = {
  all: ["keys"] as const,
};

export const keysQuery = () => queryOptions({ queryKey: keyKeys.all, queryFn: getKeys });
