// Fetchers for managing app keys (docs/admin-api.md, "Models and keys management"): each change is
// saved as a config version; a created or regenerated secret is in its answer only.

import type { ConfigApplied, KeySecret, KeyUpdate } from "@yallmproxy/api";
import { apiErrorFrom } from "./api-error";

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const res = await fetch(`/admin/keys${path}`, init);
  if (!res.ok) throw await apiErrorFrom(res);
  return (await res.json()) as T;
}

const id = (keyId: string) => `/${encodeURIComponent(keyId)}`;

export const createKey = (body: { key_id?: string; name?: string }) => send<ConfigApplied>("POST", "", body);
export const updateKey = (keyId: string, body: KeyUpdate) => send<ConfigApplied>("PUT", id(keyId), body);
export const regenerateKey = (keyId: string) => send<KeySecret>("POST", `${id(keyId)}/regenerate`);
export const deleteKey = (keyId: string) => send<ConfigApplied>("DELETE", id(keyId));
