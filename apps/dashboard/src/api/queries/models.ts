// Model queries: the configured models with their `extends` parents and children.

import { queryOptions } from "@tanstack/react-query";
import { getModels } from "../client";

export const modelKeys = {
  all: ["models"] as const,
};

export const modelsQuery = () => queryOptions({ queryKey: modelKeys.all, queryFn: async () => (await getModels()).data });
