// Fetchers for the admin API (docs/admin-api.md). The session cookie rides along on every call;
// a non-2xx answer throws an ApiError.

import { ApiError, apiErrorFrom } from "./api-error";
import { parseTraceSummary } from "./parse-live-message";
import { parseTraceDetail } from "./parse-trace-detail";
import type {
  ConfigProblem,
  ConfigVersion,
  ConfigVersionSummary,
  DeploymentList,
  KeyList,
  KeyUsage,
  ModelChangeAnswer,
  ModelDetail,
  ModelEntry,
  ModelInfo,
  Page,
  ResponseFilters,
  RunningConfig,
  StoredResponseDetail,
  StoredResponseSummary,
  TraceDetail,
  TraceFilters,
  TraceSummary,
  UsageList,
  ValidationResult,
} from "./types";

const ADMIN = "/admin";

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(`${ADMIN}${path}`, { credentials: "same-origin", ...init, headers });
  if (!res.ok) throw await apiErrorFrom(res);
  return (await res.json()) as T;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

// Session
export const login = (password: string) => request<{ ok: true }>("/login", post({ password }));
export const logout = () => request<{ ok: true }>("/logout", { method: "POST" });
export const getSession = () => request<{ authenticated: boolean }>("/session");
/** Whether the admin API is on; needs no credential. */
export const getAdminStatus = () => request<{ enabled: boolean }>("/status");

// Traces
export async function getTraces(filters: TraceFilters, limit = 200, cursor?: string): Promise<Page<TraceSummary>> {
  const page = await request<Page<unknown>>(`/traces${query({ ...filters, limit, cursor })}`);
  return { data: page.data.map(parseTraceSummary).filter((t): t is TraceSummary => t !== null), next_cursor: page.next_cursor };
}
export const getTrace = async (id: string): Promise<TraceDetail> => parseTraceDetail(await request<unknown>(`/traces/${encodeURIComponent(id)}`));

// Stored responses
export const getResponses = (filters: ResponseFilters, limit = 50, cursor?: string) =>
  request<Page<StoredResponseSummary>>(`/responses${query({ ...filters, limit, cursor })}`);
export const getResponse = (id: string) => request<StoredResponseDetail>(`/responses/${encodeURIComponent(id)}`);

/** Starts a replay; the answer body is a Responses SSE stream (read with readResponsesStream). */
export async function startReplay(body: { responseId: string; model: string; mode: "turn" | "chain" }, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(`${ADMIN}/replay`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw await apiErrorFrom(res);
  return res;
}

// Models: each change is validated, applied and saved as a config version
const model = (name: string) => `/models/${encodeURIComponent(name)}`;
export const getModel = (name: string) => request<ModelDetail>(model(name));
export const addModel = (entry: ModelEntry) => request<ModelChangeAnswer>("/models", post(entry));
export const updateModel = (name: string, entry: Omit<ModelEntry, "model_name">) =>
  request<ModelChangeAnswer>(model(name), { method: "PUT", body: JSON.stringify(entry) });
export const deleteModel = (name: string) => request<ModelChangeAnswer>(model(name), { method: "DELETE" });
export const copyModel = (source: string, target: string) => request<ModelChangeAnswer>(`/models/copy${query({ source, target })}`, { method: "POST" });

// Config
export const getConfig = () => request<RunningConfig>("/config");

/** Validation problems are an answer, not a failure: a 400 with `errors` becomes `{valid:false}`. */
export async function validateConfig(yaml: string): Promise<ValidationResult> {
  try {
    const ok = await request<{ valid: boolean; warnings?: string[]; models?: string[]; errors?: ConfigProblem[]; error?: { message?: string } }>(
      "/config/validate",
      post({ yaml }),
    );
    // A server may also answer an invalid config with 200 and `valid: false`.
    if (ok.valid === false) return { valid: false, message: ok.error?.message ?? "The config is invalid.", errors: ok.errors ?? [] };
    return { valid: true, warnings: ok.warnings ?? [], models: ok.models ?? [] };
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) return { valid: false, message: err.message, errors: err.problems };
    throw err;
  }
}

export const applyConfig = (yaml: string, author?: string) =>
  request<{ version: number | null; warnings?: string[] }>("/config", { method: "PUT", body: JSON.stringify(author ? { yaml, author } : { yaml }) });
export const getConfigVersions = () => request<{ data: ConfigVersionSummary[] }>("/config/versions");
export const getConfigVersion = (version: number) => request<ConfigVersion>(`/config/versions/${version}`);
export const rollbackConfig = (version: number) => request<{ version: number | null; warnings?: string[] }>("/config/rollback", post({ version }));
export const getModels = () => request<{ data: ModelInfo[] }>("/models");
export const getKeys = () => request<KeyList>("/keys");

// Usage
export interface UsageParams {
  from: string;
  to: string;
  granularity: "hour" | "day";
  group_by: string;
}
export const getUsage = (p: UsageParams) => request<UsageList>(`/usage${query({ ...p })}`);
/** The same report as a CSV download (the session cookie rides along on a plain link). */
export const usageCsvUrl = (p: UsageParams) => `${ADMIN}/usage${query({ ...p, format: "csv" })}`;
export const getKeyUsage = (id: string, p: { from: string; to: string }) => request<KeyUsage>(`/keys/${encodeURIComponent(id)}/usage${query(p)}`);

export const getDeployments = () => request<DeploymentList>("/deployments");
