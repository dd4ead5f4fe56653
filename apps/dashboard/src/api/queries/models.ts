// Model queries: the configured models with their `extends` parents and children, and one model's
// entry as a form edits it.

import { queryOptions } from "@tanstack/react-query";
import { getModel, getModels } from "../client";

export const modelKeys = {
  all: ["models"] as const,
  entry: (name: string) => [...modelKeys.all, "entry", name] as const,
};

export const modelsQuery = () => queryOptions({ queryKey: modelKeys.all, queryFn: async () => (await getModels()).data });

export const modelEntryQuery = (name: string) =>
  queryOptions({
    queryKey: modelKeys.entry(name),
    queryFn: () => getModel(name),
    // The form holds its own draft; refetching behind it would only confuse.
    refetchOnWindowFocus: false,
    staleTime: 0,
  });
