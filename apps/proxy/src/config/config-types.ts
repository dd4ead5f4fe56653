// The typed, resolved config the proxy runs on, as the loader builds it.

import type { AnthropicBetaEdit } from "@yallmproxy/translate";
import type { z } from "zod";
import type { KeyLimits, ModelPricing, RateLimit, RateLimitSettings, UsageSettings } from "./limits-config.js";
import type { RouteModules } from "./response-modules.js";
import type { TelemetrySettings } from "./telemetry-config.js";
import type { ForwarderSettings } from "./forwarder-config.js";
import type { MockOptions, apiTypeSchema } from "./schema.js";
import type { GigaChatSettings } from "./gigachat-config.js";

type ApiType = z.infer<typeof apiTypeSchema>;

export interface ParameterOverride {
  /** Dotted path into the request body, e.g. `stream_options.include_usage`. */
  path: string[];
  value: unknown;
  allowOverride: boolean;
}

export interface ModelRoute {
  /** The model name clients ask for: the group this deployment belongs to. */
  name: string;
  /** The deployment's own name, unique in the config: the model name when it is its group's only one. */
  id: string;
  /** Share of the group's traffic under the `weighted` strategy. */
  weight: number;
  /** Caps past which the router steps around this deployment (undefined: none). */
  rpmLimit: number | undefined;
  tpmLimit: number | undefined;
  maxParallelRequests: number | undefined;
  apiType: ApiType;
  /** Base URL including the version path, without a trailing slash. */
  apiBase: string;
  apiKey: string | undefined;
  /** Model name sent upstream. */
  upstreamModel: string;
  timeoutMs: number;
  supportsReasoning: boolean;
  supportsResponsesApi: boolean;
  /** Offer HTTP/2 to the upstream (negotiated over TLS; plain http stays HTTP/1.1). */
  http2: boolean;
  /** `anthropic-version` for an Anthropic backend when the client sends none. */
  anthropicVersion?: string;
  parameters: ParameterOverride[];
  /** `thinking` block yaLLMproxy adds to requests for this model. */
  thinking: Record<string, unknown> | undefined;
  headers: Record<string, string>;
  /** `model_params.anthropic_betas`: how the `anthropic-beta` header is edited for this backend. */
  anthropicBetas: AnthropicBetaEdit | undefined;
  allowedKeys: "all" | "none" | Set<string>;
  mock: MockOptions | undefined;
  /** `api_type: gigachat`: how its token and TLS connection are made. */
  gigachat?: GigaChatSettings;
  protected: boolean;
  history: { includeReasoning: boolean; includeRefusals: boolean };
  traceCapture: "off" | "metadata" | "full" | undefined;
  /** `model_params.rpm_limit` / `tpm_limit`: for every caller together. */
  limits: RateLimit | undefined;
  /** `model_params.pricing`, over the price database. */
  pricing: ModelPricing | undefined;
  /** Response modules run on this backend's answers (parse_tags, swap_reasoning_content). */
  responseModules?: RouteModules;
  /** Where the config file defines it: `model_list[index]`, or item `item` of that entry's `deployments`. */
  origin?: { index: number; item: number | undefined };
}

export type RoutingStrategy = "weighted" | "least-busy" | "latency" | "usage";

/** The deployments clients reach under one model name, in config order. */
export interface ModelGroup {
  name: string;
  deployments: ModelRoute[];
  strategy: RoutingStrategy;
}

export interface RouterSettings {
  numRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  strategy: RoutingStrategy;
  allowedFails: number;
  cooldownMs: number;
  maxCooldownMs: number;
  affinity: { enabled: boolean; header: string | undefined; ttlMs: number; maxEntries: number };
}

export interface TraceSettings {
  capture: "off" | "metadata" | "full";
  maxBodyBytes: number;
  maxEvents: number;
  retentionHours: number;
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
}

export interface ResponseStateSettings {
  persistence: "database" | "memory";
  maxMemoryEntries: number;
  maxMemoryBytes: number;
  ttlSeconds: number;
  cleanupIntervalSeconds: number;
  capturePassthrough: boolean;
  /** Most items a request's `input` may hold: each costs work on the event loop. */
  maxInputItems: number;
  /** Raw reasoning of a translated backend as a summary, as `reasoning_text` content, or both. */
  rawReasoning: "summary" | "content" | "both";
}

export interface ConcurrencySettings {
  concurrencyLimit: number;
  priority: number;
  queueTimeoutMs: number | undefined;
}

export interface AppKey {
  keyId: string;
  secret: string;
  name: string | undefined;
  enabled: boolean;
  concurrency: ConcurrencySettings;
  /** Rate limits and budget (its own over `app_keys.defaults`); undefined when it has none. */
  limits: KeyLimits | undefined;
}

/** Bounds of one Responses WebSocket (responses/socket-session.ts). */
export interface WebSocketSettings {
  /** Largest client frame; the default is the HTTP body limit. */
  maxFrameBytes: number;
  /** A socket with no turn running and no frame for this long is closed. */
  idleTimeoutMs: number;
  /** A socket is closed (after its turn) once this old, as OpenAI does after 60 minutes. */
  maxAgeMs: number;
  /** Turns one socket may run. */
  maxTurns: number;
  /** The socket's own chain (what `previous_response_id` finds with `store: false`): its bytes and turns. */
  chainMaxBytes: number;
  chainMaxTurns: number;
}

export interface ProxyConfig {
  /** Each model's first deployment: what listings, access checks and single-backend endpoints use. */
  models: Map<string, ModelRoute>;
  groups: Map<string, ModelGroup>;
  fallbacks: Map<string, string[]>;
  router: RouterSettings;
  server: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /** Node's headersTimeout: time to receive the request headers. */
    headersTimeoutMs: number;
    /** Node's requestTimeout: time to receive the whole request (not its answer, which may stream longer). */
    requestTimeoutMs: number;
    /** Open connections per client address; 0 = no cap. */
    maxConnectionsPerIp: number;
    /** Origins (lower case) besides the Host's own from which the admin cookie is accepted. */
    adminOrigins: string[];
    /** On SIGTERM, how long requests in flight may finish before they are ended. */
    shutdownGraceMs: number;
    /** Deepest nesting of objects and arrays a request body may have. */
    maxJsonDepth: number;
  };
  /** `responsesWebSocket`: WebSocket mode on `GET /v1/responses` (off: the upgrade is answered 426). */
  endpoints: { responses: boolean; messages: boolean; responsesWebSocket: boolean };
  responseState: ResponseStateSettings;
  webSocket: WebSocketSettings;
  traces: TraceSettings;
  usage: UsageSettings;
  rateLimits: RateLimitSettings;
  /** OTLP export from the `OTEL_*` environment variables; undefined when off (read at start-up only). */
  telemetry: TelemetrySettings | undefined;
  /** The TCP and HTTP forwarders started beside the server (read at start-up only). */
  forwarders: ForwarderSettings;
  messagesPingIntervalMs: number;
  appKeys: {
    enabled: boolean;
    headerName: string;
    allowUnauthenticated: boolean;
    keys: AppKey[];
    unauthenticated: ConcurrencySettings;
  };
  adminPassword: string | undefined;
  /** `file:<path>` (SQLite) or `postgresql://…`. */
  databaseUrl: string;
  logLevel: string;
  /** The config file's own text and path, and the variables it was read with, for reloads. */
  source: { path: string; text: string; vars: Record<string, string> };
}

export interface LoadedConfig {
  config: ProxyConfig;
  warnings: string[];
  /**
   * The warnings that are most likely a typo (an unknown section or api_type, a fallback or
   * allowed key naming nothing), by path. Start-up only warns; a change made through the admin API
   * that introduces one is refused.
   */
  mistakes: Array<{ path: string; message: string }>;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid config:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** `["model_list", 0, "model_name"]` → `model_list[0].model_name`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || "(root)";
}
