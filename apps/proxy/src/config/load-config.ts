// Loads configs/config.yaml into the typed, resolved config the proxy runs on. Invalid input stops
// with one line per bad field, naming its path; what is merely not implemented becomes a warning.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { readDotEnv, substituteEnv } from "./env.js";
import { DEFAULT_MAX_JSON_DEPTH } from "@yallmproxy/translate";
import {
  apiTypeSchema,
  configSchema,
  modelEntrySchema,
  type MockOptions,
  type RawModelEntry,
} from "./schema.js";

type ApiType = z.infer<typeof apiTypeSchema>;

export interface ParameterOverride {
  /** Dotted path into the request body, e.g. `stream_options.include_usage`. */
  path: string[];
  value: unknown;
  allowOverride: boolean;
}

export interface ModelRoute {
  name: string;
  apiType: ApiType;
  /** Base URL including the version path, without a trailing slash. */
  apiBase: string;
  apiKey: string | undefined;
  /** Model name sent upstream. */
  upstreamModel: string;
  timeoutMs: number;
  supportsReasoning: boolean;
  supportsResponsesApi: boolean;
  parameters: ParameterOverride[];
  /** `thinking` block yaLLMproxy adds to requests for this model. */
  thinking: Record<string, unknown> | undefined;
  headers: Record<string, string>;
  allowedKeys: "all" | "none" | Set<string>;
  mock: MockOptions | undefined;
  protected: boolean;
  history: { includeReasoning: boolean; includeRefusals: boolean };
  traceCapture: "off" | "metadata" | "full" | undefined;
}

interface TraceSettings {
  capture: "off" | "metadata" | "full";
  maxBodyBytes: number;
  maxEvents: number;
  retentionHours: number;
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
}

interface ResponseStateSettings {
  persistence: "database" | "memory";
  maxMemoryEntries: number;
  maxMemoryBytes: number;
  ttlSeconds: number;
  cleanupIntervalSeconds: number;
  capturePassthrough: boolean;
  /** Most items a request's `input` may hold: each costs work on the event loop. */
  maxInputItems: number;
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
}

export interface ProxyConfig {
  models: Map<string, ModelRoute>;
  fallbacks: Map<string, string[]>;
  router: { numRetries: number; retryBaseDelayMs: number; retryMaxDelayMs: number };
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
  endpoints: { responses: boolean; messages: boolean };
  responseState: ResponseStateSettings;
  traces: TraceSettings;
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

const DEFAULT_TIMEOUT_S = 600;
const MAX_EXTENDS_DEPTH = 10;
const KNOWN_SECTIONS = new Set([
  "model_list",
  "router_settings",
  "proxy_settings",
  "app_keys",
  "database",
  "forwarder_settings",
  "http_forwarder_settings",
]);
const NOT_IMPLEMENTED_SECTIONS = new Set(["forwarder_settings", "http_forwarder_settings"]);
/** yaLLMproxy's backend types this proxy does not implement: a warning, never a mistake. */
const YALLMPROXY_ONLY_API_TYPES = new Set(["gigachat", "passthrough"]);

export interface LoadOptions {
  /** Config file path; default `configs/config.yaml` under the working directory. */
  path?: string;
  /** Config text to use instead of reading `path` (validation of an edit). */
  text?: string;
  env?: Record<string, string | undefined>;
}

function defaultConfigPath(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.YALLMP_CONFIG ?? join(process.cwd(), "configs", "config.yaml"));
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const path = resolve(opts.path ?? defaultConfigPath(env));
  let text = opts.text;
  if (text === undefined) {
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new ConfigError([`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
  }
  // configs/.env is looked up first, the environment second, as yaLLMproxy does.
  const vars = { ...definedOnly(env), ...readDotEnv(join(dirname(path), ".env")) };
  return parseConfigText(text, path, vars, env);
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export function parseConfigText(
  text: string,
  path: string,
  vars: Record<string, string>,
  env: Record<string, string | undefined> = {},
): LoadedConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`${path}: YAML syntax error: ${(err as Error).message.split("\n")[0]}`]);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new ConfigError([`(root): expected a mapping of sections, got ${Array.isArray(doc) ? "a list" : typeof doc}`]);
  }
  const warnings: string[] = [];
  const mistakes: LoadedConfig["mistakes"] = [];
  const missingVars = new Set<string>();
  const substituted = substituteEnv(doc, vars, missingVars) as Record<string, unknown>;

  const top = configSchema.safeParse(substituted);
  if (!top.success) throw new ConfigError(top.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`));
  const raw = top.data;

  for (const key of Object.keys(substituted)) {
    if (!KNOWN_SECTIONS.has(key)) {
      warnings.push(`${key}: unknown section, ignored`);
      mistakes.push({ path: key, message: `unknown section "${key}" (known: ${[...KNOWN_SECTIONS].join(", ")})` });
    }
    else if (NOT_IMPLEMENTED_SECTIONS.has(key)) warnings.push(`${key}: not implemented by this proxy, ignored`);
  }
  const proxySettings = (raw.proxy_settings ?? {}) as Record<string, unknown>;
  const modules = proxySettings.modules as { upstream?: { enabled?: boolean }; downstream?: { enabled?: boolean } } | undefined;
  if (modules?.upstream?.enabled || modules?.downstream?.enabled) {
    warnings.push("proxy_settings.modules: response/request modules are not implemented, ignored");
  }

  const problems: string[] = [];
  const entries = resolveModelEntries(raw.model_list, problems);
  const models = new Map<string, ModelRoute>();
  const modelIndex = new Map<string, number>();
  entries.forEach(({ entry, index }) => {
    const route = normalizeModel(entry, `model_list[${index}]`, problems, warnings, mistakes);
    if (!route) return;
    if (!modelIndex.has(route.name)) modelIndex.set(route.name, index);
    if (models.has(route.name)) {
      problems.push(`model_list[${index}].model_name: duplicate model name "${route.name}"`);
      return;
    }
    models.set(route.name, route);
  });

  const fallbacks = new Map<string, string[]>();
  (raw.router_settings?.fallbacks ?? []).forEach((item, i) => {
    for (const [primary, list] of Object.entries(item)) {
      if (!models.has(primary)) {
        warnings.push(`router_settings.fallbacks[${i}]: model "${primary}" is not configured`);
        mistakes.push({ path: `router_settings.fallbacks[${i}]`, message: `fallbacks of model "${primary}", which is not configured` });
      }
      list.forEach((fb, j) => {
        if (!models.has(fb)) {
          warnings.push(`router_settings.fallbacks[${i}].${primary}[${j}]: model "${fb}" is not configured`);
          mistakes.push({ path: `router_settings.fallbacks[${i}].${primary}[${j}]`, message: `fallback "${fb}" of model "${primary}" is not configured` });
        }
      });
      fallbacks.set(primary, list.filter((fb) => fb !== primary));
    }
  });

  const appKeysRaw = raw.app_keys ?? {};
  const defaults = appKeysRaw.defaults ?? {};
  const keyIds = new Set<string>();
  const keys: AppKey[] = (appKeysRaw.keys ?? []).map((k, i) => {
    if (keyIds.has(k.key_id)) problems.push(`app_keys.keys[${i}].key_id: duplicate key_id "${k.key_id}"`);
    keyIds.add(k.key_id);
    if (k.enabled !== false && k.secret.length === 0) {
      problems.push(`app_keys.keys[${i}].secret: empty secret (is its environment variable set?)`);
    }
    return {
      keyId: k.key_id,
      secret: k.secret,
      name: k.name,
      enabled: k.enabled !== false,
      concurrency: {
        concurrencyLimit: k.concurrency_limit ?? defaults.concurrency_limit ?? 0,
        priority: k.priority ?? defaults.priority ?? 100,
        queueTimeoutMs: secondsToMs(k.queue_timeout ?? defaults.queue_timeout),
      },
    };
  });
  for (const route of models.values()) {
    if (route.allowedKeys instanceof Set) {
      for (const id of route.allowedKeys) {
        if (!keyIds.has(id)) {
          warnings.push(`model "${route.name}": access_control.allowed_keys names unknown key_id "${id}"`);
          mistakes.push({ path: `model_list[${modelIndex.get(route.name) ?? 0}].access_control.allowed_keys`, message: `model "${route.name}" allows key_id "${id}", which is not configured` });
        }
      }
    }
  }

  const databaseProblems: string[] = [];
  databaseUrlFrom(raw.database, databaseProblems);
  problems.push(...databaseProblems);
  if (problems.length) throw new ConfigError(problems);
  for (const name of [...missingVars].sort()) warnings.push(`environment variable ${name} is not set; used an empty value`);

  const unauth = appKeysRaw.unauthenticated ?? {};
  const state = raw.proxy_settings?.responses?.state ?? {};
  const traces = raw.proxy_settings?.traces ?? {};
  // yaLLMproxy kept request captures for logging.full_request_storage.retention_hours.
  const legacyRetention = (proxySettings.logging as { full_request_storage?: { retention_hours?: unknown } } | undefined)?.full_request_storage?.retention_hours;
  const server = (proxySettings.server ?? {}) as {
    host?: string;
    port?: number;
    body_limit_mb?: number;
    header_timeout_seconds?: number;
    body_timeout_seconds?: number;
    max_connections_per_ip?: number;
    admin_origins?: string[];
    shutdown_grace_seconds?: number;
    max_json_depth?: number;
  };
  const headersTimeoutMs = Math.round((server.header_timeout_seconds ?? 20) * 1000);
  const requestTimeoutMs = Math.round((server.body_timeout_seconds ?? 120) * 1000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError([`proxy_settings.server.header_timeout_seconds: must not exceed body_timeout_seconds (${requestTimeoutMs / 1000})`]);
  }
  const port = env.YALLMP_PORT !== undefined ? Number(env.YALLMP_PORT) : (server.port ?? 7979);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`YALLMP_PORT: not a port number: "${env.YALLMP_PORT}"`]);

  const config: ProxyConfig = {
    models,
    fallbacks,
    router: {
      numRetries: raw.router_settings?.num_retries ?? 1,
      retryBaseDelayMs: raw.router_settings?.retry_base_delay_ms ?? 250,
      retryMaxDelayMs: raw.router_settings?.retry_max_delay_ms ?? 8000,
    },
    server: {
      host: env.YALLMP_HOST ?? server.host ?? "127.0.0.1",
      port,
      bodyLimitBytes: Math.round((server.body_limit_mb ?? 32) * 1024 * 1024),
      headersTimeoutMs,
      requestTimeoutMs,
      maxConnectionsPerIp: server.max_connections_per_ip ?? 256,
      adminOrigins: (server.admin_origins ?? []).map((o) => new URL(o).origin.toLowerCase()),
      shutdownGraceMs: Math.round((server.shutdown_grace_seconds ?? 20) * 1000),
      maxJsonDepth: server.max_json_depth ?? DEFAULT_MAX_JSON_DEPTH,
    },
    endpoints: {
      responses: (proxySettings.enable_responses_endpoint as boolean | undefined) ?? true,
      messages: (proxySettings.enable_messages_endpoint as boolean | undefined) ?? true,
    },
    responseState: {
      persistence: state.persistence ?? "database",
      maxMemoryEntries: state.max_memory_entries ?? 10_000,
      maxMemoryBytes: state.max_memory_bytes ?? 64 * 1024 * 1024,
      ttlSeconds: state.ttl_seconds ?? 30 * 24 * 3600,
      cleanupIntervalSeconds: state.cleanup_interval_seconds ?? 300,
      capturePassthrough: state.capture_passthrough ?? true,
      maxInputItems: raw.proxy_settings?.responses?.max_input_items ?? 100_000,
    },
    traces: {
      capture: traces.capture ?? "metadata",
      maxBodyBytes: traces.max_body_bytes ?? 256 * 1024,
      maxEvents: traces.max_events ?? 5000,
      retentionHours: traces.retention_hours ?? (typeof legacyRetention === "number" ? legacyRetention : 48),
      queueSize: traces.queue_size ?? 10_000,
      batchSize: traces.batch_size ?? 200,
      flushIntervalMs: traces.flush_interval_ms ?? 500,
    },
    messagesPingIntervalMs: Math.round((raw.proxy_settings?.messages_ping_interval_seconds ?? 10) * 1000),
    appKeys: {
      enabled: appKeysRaw.enabled ?? false,
      headerName: (appKeysRaw.header_name ?? "x-api-key").toLowerCase(),
      allowUnauthenticated: appKeysRaw.allow_unauthenticated ?? false,
      keys,
      unauthenticated: {
        concurrencyLimit: unauth.concurrency_limit ?? 0,
        priority: unauth.priority ?? 1000,
        queueTimeoutMs: secondsToMs(unauth.queue_timeout),
      },
    },
    adminPassword: env.YALLMP_ADMIN_PASSWORD || undefined,
    databaseUrl: env.DATABASE_URL || databaseUrlFrom(raw.database, []) || "file:data/yallmproxy.db",
    logLevel: ((proxySettings.logging as { level?: string } | undefined)?.level ?? env.LOG_LEVEL ?? "info"),
    source: { path, text, vars },
  };
  return { config, warnings, mistakes };
}

/** yaLLMproxy's `database` section as a URL: `backend: sqlite | postgres` with `connection.<backend>`. */
function databaseUrlFrom(section: unknown, problems: string[]): string | undefined {
  if (section === undefined || section === null) return undefined;
  const db = section as { backend?: unknown; url?: unknown; connection?: { sqlite?: { path?: unknown }; postgres?: Record<string, unknown> } };
  if (typeof db.url === "string" && db.url) return db.url;
  const backend = db.backend ?? "sqlite";
  if (backend === "sqlite") {
    const path = db.connection?.sqlite?.path;
    return typeof path === "string" && path ? `file:${path}` : undefined;
  }
  if (backend === "postgres" || backend === "postgresql") {
    const c = db.connection?.postgres;
    if (!c || typeof c !== "object") {
      problems.push("database.connection.postgres: required when database.backend is postgres");
      return undefined;
    }
    const enc = (v: unknown) => encodeURIComponent(String(v));
    const auth = c.user ? `${enc(c.user)}${c.password ? `:${enc(c.password)}` : ""}@` : "";
    return `postgresql://${auth}${String(c.host ?? "127.0.0.1")}:${String(c.port ?? 5432)}/${enc(c.database ?? "postgres")}`;
  }
  problems.push(`database.backend: expected sqlite or postgres, got "${String(backend)}"`);
  return undefined;
}

function secondsToMs(s: number | null | undefined): number | undefined {
  return s === null || s === undefined ? undefined : Math.round(s * 1000);
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || "(root)";
}

/** Applies `extends` (deep merge, lists replaced), rejecting cycles and missing parents. */
function resolveModelEntries(list: unknown[], problems: string[]): Array<{ entry: RawModelEntry; index: number }> {
  const byName = new Map<string, { raw: Record<string, unknown>; index: number }>();
  list.forEach((item, index) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.push(`model_list[${index}]: expected a mapping with model_name and model_params`);
      return;
    }
    const name = (item as Record<string, unknown>).model_name;
    if (typeof name === "string" && !byName.has(name)) byName.set(name, { raw: item as Record<string, unknown>, index });
  });

  const resolved = new Map<string, Record<string, unknown> | null>();
  const resolveOne = (name: string, chain: string[]): Record<string, unknown> | null => {
    const cached = resolved.get(name);
    if (cached !== undefined) return cached;
    const found = byName.get(name);
    if (!found) return null;
    const parentName = found.raw.extends;
    if (parentName === undefined) {
      resolved.set(name, found.raw);
      return found.raw;
    }
    const where = `model_list[${found.index}].extends`;
    if (typeof parentName !== "string") {
      problems.push(`${where}: expected a model name`);
      resolved.set(name, null);
      return null;
    }
    if (chain.includes(parentName) || parentName === name) {
      problems.push(`${where}: circular extends (${[...chain, name, parentName].join(" -> ")})`);
      resolved.set(name, null);
      return null;
    }
    if (chain.length >= MAX_EXTENDS_DEPTH) {
      problems.push(`${where}: extends chain deeper than ${MAX_EXTENDS_DEPTH}`);
      resolved.set(name, null);
      return null;
    }
    if (!byName.has(parentName)) {
      problems.push(`${where}: parent model "${parentName}" does not exist`);
      resolved.set(name, null);
      return null;
    }
    const parent = resolveOne(parentName, [...chain, name]);
    if (!parent) {
      resolved.set(name, null);
      return null;
    }
    const { model_name: _n, extends: _e, protected: _p, ...inheritable } = parent;
    const { extends: _own, ...own } = found.raw;
    const merged = deepMerge(inheritable, own);
    resolved.set(name, merged);
    return merged;
  };

  const out: Array<{ entry: RawModelEntry; index: number }> = [];
  list.forEach((item, index) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return;
    const name = (item as Record<string, unknown>).model_name;
    const isFirst = typeof name === "string" && byName.get(name)?.index === index;
    const merged = isFirst ? resolveOne(name, []) : (item as Record<string, unknown>);
    if (!merged) return;
    const parsed = modelEntrySchema.safeParse(merged);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${formatPath(["model_list", index, ...issue.path])}: ${issue.message}`);
      return;
    }
    out.push({ entry: parsed.data, index });
  });
  return out;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An HTTP token (RFC 9110). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Connection-level headers the HTTP client manages; undici refuses requests that set them. */
const MANAGED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "expect"]);

function normalizeModel(entry: RawModelEntry, where: string, problems: string[], warnings: string[], mistakes: LoadedConfig["mistakes"]): ModelRoute | undefined {
  const p = entry.model_params;
  const rawType = p.api_type ?? "openai";
  const apiType = apiTypeSchema.safeParse(rawType);
  if (!apiType.success) {
    warnings.push(`${where} (${entry.model_name}): api_type "${rawType}" is not implemented; model not served`);
    if (!YALLMPROXY_ONLY_API_TYPES.has(rawType)) {
      mistakes.push({ path: `${where}.model_params.api_type`, message: `model "${entry.model_name}": api_type "${rawType}" is not one of ${apiTypeSchema.options.join(", ")}` });
    }
    return undefined;
  }
  let apiBase = (p.api_base ?? "").replace(/\/+$/, "");
  if (apiType.data === "mock") {
    apiBase = apiBase || "mock://local";
  } else if (!apiBase) {
    problems.push(`${where}.model_params.api_base: required for api_type ${apiType.data}`);
    return undefined;
  } else {
    try {
      const u = new URL(apiBase);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
    } catch {
      problems.push(`${where}.model_params.api_base: not an http(s) URL: "${apiBase}"`);
      return undefined;
    }
  }
  if (entry.modules !== undefined) {
    const upstream = (entry.modules as { upstream?: { enabled?: boolean } } | null)?.upstream;
    if (upstream && upstream.enabled !== false) {
      warnings.push(`${where} (${entry.model_name}): modules are not implemented, ignored`);
    }
  }
  for (const [name, value] of Object.entries(p.headers ?? {})) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) problems.push(`${where}.model_params.headers.${name}: not a valid header name`);
    else if (MANAGED_HEADERS.has(lower)) problems.push(`${where}.model_params.headers.${name}: set by the proxy itself, cannot be configured`);
    else if (/[\r\n\0]/.test(value)) problems.push(`${where}.model_params.headers.${name}: the value contains a line break or NUL`);
  }
  const parameters: ParameterOverride[] = [];
  for (const [name, spec] of Object.entries(p.parameters ?? {})) {
    const isSpec = typeof spec === "object" && spec !== null && !Array.isArray(spec) && "default" in spec;
    parameters.push({
      path: name.split("."),
      value: isSpec ? (spec as { default: unknown }).default : spec,
      allowOverride: isSpec ? ((spec as { allow_override?: boolean }).allow_override ?? true) : true,
    });
  }
  const allowed = entry.access_control?.allowed_keys;
  return {
    name: entry.model_name,
    apiType: apiType.data,
    apiBase,
    apiKey: p.api_key || undefined,
    upstreamModel: p.target_model ?? p.model ?? entry.model_name,
    timeoutMs: Math.round((p.request_timeout ?? DEFAULT_TIMEOUT_S) * 1000),
    supportsReasoning: p.supports_reasoning ?? false,
    supportsResponsesApi: p.supports_responses_api ?? apiType.data === "openai-responses",
    parameters,
    thinking: p.thinking,
    headers: p.headers ?? {},
    allowedKeys: allowed === undefined || allowed === "all" ? "all" : allowed === "none" ? "none" : new Set(allowed),
    mock: p.mock,
    // Only an explicit `protected: true` locks a model against admin API changes.
    protected: entry.protected === true,
    traceCapture: p.trace_capture,
    history: {
      includeReasoning: p.history_policy?.include_reasoning ?? true,
      includeRefusals: p.history_policy?.include_refusals ?? true,
    },
  };
}
