// Config queries: the running YAML, its versions, validation, apply and rollback. Applying or
// rolling back changes the models and keys too, so those families are invalidated with it.

import { type QueryClient, queryOptions } from "@tanstack/react-query";
import { applyConfig, getConfig, getConfigVersion, getConfigVersions, rollbackConfig, validateConfig } from "../client";
import { keyKeys } from "./keys";
import { modelKeys } from "./models";

export const configKeys = {
  all: ["config"] as const,
  running: () => [...configKeys.all, "running"] as const,
  versions: () => [...configKeys.all, "versions"] as const,
  version: (version: number) => [...configKeys.versions(), version] as const,
};

export const runningConfigQuery = () =>
  queryOptions({
    queryKey: configKeys.running(),
    queryFn: getConfig,
    // The editor holds its own draft; refetching behind it would only confuse.
    refetchOnWindowFocus: false,
  });

export const configVersionsQuery = () => queryOptions({ queryKey: configKeys.versions(), queryFn: async () => (await getConfigVersions()).data });

export const configVersionQuery = (version: number) =>
  queryOptions({ queryKey: configKeys.version(version), queryFn: () => getConfigVersion(version), staleTime: Infinity });

export const validateConfigMutation = () => ({
  mutationFn: (yaml: string) => validateConfig(yaml),
});

async function invalidateConfigFamilies(queryClient: QueryClient): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: configKeys.all }),
    queryClient.invalidateQueries({ queryKey: modelKeys.all }),
    queryClient.invalidateQueries({ queryKey: keyKeys.all }),
  ]);
}

export const applyConfigMutation = (queryClient: QueryClient) => ({
  mutationFn: (yaml: string) => applyConfig(yaml, "dashboard"),
  onSuccess: () => invalidateConfigFamilies(queryClient),
});

export const rollbackConfigMutation = (queryClient: QueryClient) => ({
  mutationFn: (version: number) => rollbackConfig(version),
  onSuccess: () => invalidateConfigFamilies(queryClient),
});
