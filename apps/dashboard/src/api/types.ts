// Shapes of the admin API (docs/admin-api.md) as the dashboard reads them.

export type WireFormat = "chat" | "responses" | "messages";

export interface TraceSummary {
  id: string;
  startedAt: string;
  model: string;
  keyId: string | null;
  clientFormat: WireFormat;
  backend: string | null;
  backendFormat: WireFormat | null;
  stream: boolean;
  status: number | null;
  state: "running" | "finished";
  attempts: number;
  ttftMs: number | null;
  durationMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  error: string | null;
  warnings: number;
  /** Only on live rows: what the last `request.progress` said. */
  progress?: { chunks: number; completionTokens: number | null; elapsedMs: number };
}

export type AttemptOutcome = "retry" | "fallback" | "answered" | "gave_up";

export interface TraceAttempt {
  backend: string;
  attempt: number;
  status: number | null;
  error: string | null;
  /** An AttemptOutcome; kept as the server's string so a new outcome still shows. */
  outcome: string;
  durationMs: number | null;
}

export interface TraceEvent {
  /** Milliseconds since the request was received. */
  t: number;
  data: string;
}

/** `GET /admin/traces/:id`: the summary, with `attempts` as the list of attempts instead of a count. */
export interface TraceDetail extends Omit<TraceSummary, "attempts" | "progress"> {
  attempts: TraceAttempt[];
  timings: {
    receivedAt: string;
    upstreamConnectedMs: number | null;
    firstByteMs: number | null;
    firstTokenMs: number | null;
    doneMs: number | null;
  } | null;
  clientRequest: { headers: Record<string, string>; body: unknown } | null;
  upstreamRequest: { url: string; body: unknown } | null;
  upstreamEvents: TraceEvent[];
  clientEvents: TraceEvent[];
  warningList: TraceWarning[];
  captureLevel: "off" | "metadata" | "full";
  truncated: { clientRequest: boolean; upstreamRequest: boolean; upstreamEvents: boolean; clientEvents: boolean };
}

/** One translation warning: `code` groups them (`field_dropped`, `content_dropped`, …; `uncoded` for traces written before codes). */
export interface TraceWarning {
  code: string;
  path: string;
  message: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface TraceFilters {
  model?: string;
  key?: string;
  status?: "ok" | "error";
}

export interface StoredResponseSummary {
  id: string;
  model: string;
  keyId: string | null;
  status: string;
  createdAt: string;
  previousResponseId: string | null;
  preview: string;
}

export interface ChainLink {
  id: string;
  model: string;
  createdAt: string;
  status: string;
}

/** A stored Response object; only the fields the dashboard reads are typed. */
export interface ResponseObject {
  id: string;
  model: string;
  status?: string;
  instructions?: string | null;
  output?: ResponseItem[];
  usage?: { input_tokens?: number; output_tokens?: number; total_tokens?: number } | null;
  metadata?: Record<string, string> | null;
  previous_response_id?: string | null;
  [field: string]: unknown;
}

/** An input or output item of the Responses API; unknown kinds are shown as JSON. */
export interface ResponseItem {
  type?: string;
  id?: string;
  role?: string;
  content?: unknown;
  [field: string]: unknown;
}

export interface StoredResponseDetail {
  response: ResponseObject;
  inputItems: ResponseItem[];
  chain: ChainLink[];
  children: string[];
}

export interface ResponseFilters {
  q?: string;
  model?: string;
  key?: string;
}

export interface RunningConfig {
  yaml: string;
  /** Null when no database keeps versions. */
  version: number | null;
  path: string;
}

export interface ConfigProblem {
  path: string;
  message: string;
  line?: number | null;
}

export type ValidationResult =
  | { valid: true; warnings: string[]; models: string[] }
  | { valid: false; message: string; errors: ConfigProblem[] };

export interface ConfigVersionSummary {
  version: number;
  createdAt: string;
  author: string | null;
  summary: string | null;
}

export interface ConfigVersion extends ConfigVersionSummary {
  yaml: string;
  diff: string;
}

export interface ModelInfo {
  name: string;
  apiType: string;
  apiBase: string | null;
  upstreamModel: string | null;
  extends: string | null;
  children: string[];
  protected: boolean;
  allowedKeys: string[] | "all" | "none" | null;
  /** Models tried after this one fails (router_settings.fallbacks); not in every server version. */
  fallbacks?: string[];
}

export interface KeyList {
  data: KeyInfo[];
  /** Whether app_keys is on; not in every server version. */
  enabled?: boolean;
}

export interface KeyInfo {
  keyId: string;
  name: string | null;
  enabled: boolean;
  concurrencyLimit: number | null;
  priority: number | null;
  queueTimeout: number | null;
}
