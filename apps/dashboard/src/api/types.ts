// The admin API's shapes (docs/admin-api.md) come from @yallmproxy/api, the schemas the proxy
// validates and answers with; type imports only, so none of its code reaches the bundle. What is
// defined here is the dashboard's own reading of them: lists' filters, and a trace's detail as
// parseTraceDetail normalizes it.

import type {
  ConfigProblem,
  ResponseListQuery,
  TraceAttempt as WireTraceAttempt,
  TraceDetail as WireTraceDetail,
  TraceListQuery,
  TraceWarning,
  ValidationAnswer,
} from "@yallmproxy/api";

export type {
  AttemptOutcome,
  ChainLink,
  ConfigProblem,
  ConfigVersion,
  ConfigVersionSummary,
  DeploymentGroup,
  DeploymentList,
  DeploymentStatus,
  KeyInfo,
  KeyLimitStatus,
  KeyList,
  KeyUsage,
  ModelDetail,
  ModelEntry,
  ModelInfo,
  Page,
  ResponseItem,
  ResponseObject,
  RunningConfig,
  StoredResponseDetail,
  StoredResponseSummary,
  TraceEvent,
  TraceSummary,
  TraceWarning,
  UsageList,
  UsageRow,
  WireFormat,
} from "@yallmproxy/api";

/** An attempt with every field present (null when the server left it out). */
export type TraceAttempt = Omit<WireTraceAttempt, "status" | "error" | "durationMs"> & {
  status: number | null;
  error: string | null;
  durationMs: number | null;
};

/** `GET /admin/traces/:id` as parseTraceDetail reads it: repeated headers joined, older traces' warning text coded. */
export type TraceDetail = Omit<WireTraceDetail, "attempts" | "clientRequest" | "warningList"> & {
  attempts: TraceAttempt[];
  clientRequest: { headers: Record<string, string>; body: unknown } | null;
  warningList: TraceWarning[];
};

/** The Live page's filters: the trace list's query (`from` / `to` ISO date-times, `q` words in the captured detail). */
export type TraceFilters = Pick<TraceListQuery, "model" | "key" | "client" | "backend" | "finish" | "from" | "to" | "q"> & {
  status?: "ok" | "error";
  tools?: "true" | "false";
};

export type ResponseFilters = Pick<ResponseListQuery, "q" | "model" | "key">;

/** What a model's add, change, copy or delete answers. */
export type { ConfigApplied as ModelChangeAnswer } from "@yallmproxy/api";

/** A draft's check: a 400 with problems is an answer too, with its message. */
export type ValidationResult = Extract<ValidationAnswer, { valid: true }> | { valid: false; message: string; errors: ConfigProblem[] };
