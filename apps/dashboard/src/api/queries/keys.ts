// API key queries: the configured app keys (ids and limits, never secrets), and the mutations that
// manage them. Every change is a config version, so the config family is refreshed with the keys.

import { type QueryClient, queryOptions } from "@tanstack/react-query";
import type { KeyUpdate } from "@yallmproxy/api";
import { getKeys } from "../client";
import { createKey, deleteKey, regenerateKey, updateKey } from "../keys-client";

export const keyKeys = {
  all: ["keys"] as const,
};

export const keysQuery = () => queryOptions({ queryKey: keyKeys.all, queryFn: getKeys });

const refresh = (queryClient: QueryClient) => () =>
  Promise.all([queryClient.invalidateQueries({ queryKey: keyKeys.all }), queryClient.invalidateQueries({ queryKey: ["config"] })]);

export const createKeyMutation = (queryClient: QueryClient) => ({
  mutationFn: (body: { key_id?: string; name?: string }) => createKey(body),
  onSuccess: refresh(queryClient),
});

export const updateKeyMutation = (queryClient: QueryClient) => ({
  mutationFn: ({ keyId, body }: { keyId: string; body: KeyUpdate }) => updateKey(keyId, body),
  onSuccess: refresh(queryClient),
});

export const regenerateKeyMutation = (queryClient: QueryClient) => ({
  mutationFn: (keyId: string) => regenerateKey(keyId),
  onSuccess: refresh(queryClient),
});

export const deleteKeyMutation = (queryClient: QueryClient) => ({
  mutationFn: (keyId: string) => deleteKey(keyId),
  onSuccess: refresh(queryClient),
});
