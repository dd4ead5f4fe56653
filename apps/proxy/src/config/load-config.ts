// Loads configs/config.yaml into the typed, resolved config the proxy runs on. Invalid input stops
// with one line per bad field, naming its path; what is merely not implemented becomes a warning.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { DEFAULT_MAX_JSON_DEPTH, type TemplateReader } from "@yallmproxy/translate";
import {
  type AppKey,
  ConfigError,
  type LoadedConfig,
  type ModelGroup,
  type ModelRoute,
  type RouterSettings,
  type ProxyConfig,
  formatPath,
} from "./config-types.js";
import { definedOnly, dotEnvPathOf, readDotEnv, substituteEnv } from "./env.js";
import { normalizeModel, resolveModelEntries } from "./model-entries.js";
import { forwardersOf } from "./forwarder-config.js";
import { legacyKeyWarnings } from "./legacy-keys.js";
import { keyLimitsOf, rateLimitSettingsOf, usageSettingsOf } from "./limits-config.js";
import { telemetrySettingsOf } from "./telemetry-config.js";
import { globalModulesSection, modulesForRoute, readTemplateFile, templateDirs } from "./response-modules.js";
import { configSchema } from "./schema.js";
import { responseStateOf, tracesOf, webSocketOf } from "./store-settings.js";

export * from "./config-types.js";

const KNOWN_SECTIONS = new Set(["model_list", "router_settings", "proxy_settings", "app_keys", "database", "forwarder_settings", "http_forwarder_settings"]);

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
  const vars = { ...definedOnly(env), ...readDotEnv(dotEnvPathOf(path)) };
  return parseConfigText(text, path, vars, env);
}

type RawConfig = z.infer<typeof configSchema>;
type Notes = Pick<LoadedConfig, "warnings" | "mistakes">;

export function parseConfigText(text: string, path: string, vars: Record<string, string>, env: Record<string, string | undefined> = {}): LoadedConfig {
  const notes: Notes = { warnings: [], mistakes: [] };
  const missingVars = new Set<string>();
  const substituted = substituteEnv(parseSections(text, path), vars, missingVars) as Record<string, unknown>;
  const top = configSchema.safeParse(substituted);
  if (!top.success) throw new ConfigError(top.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`));
  const raw = top.data;
  checkSections(substituted, notes);

  const problems: string[] = [];
  const dirs = templateDirs(path);
  const modulesFrom = { global: globalModulesSection(raw.proxy_settings, notes.warnings), read: (p: string) => readTemplateFile(p, dirs) };
  const { models, groups, modelIndex } = modelsOf(raw, problems, notes, modulesFrom);
  const fallbacks = fallbacksOf(raw, models, notes);
  const keys = appKeysOf(raw, problems);
  checkAllowedKeys(groups, new Set(keys.map((k) => k.keyId)), modelIndex, notes);
  checkModelLimits(raw, groups, notes);
  databaseUrlFrom(raw.database, problems);
  if (problems.length) throw new ConfigError(problems);
  for (const name of [...missingVars].sort()) notes.warnings.push(`environment variable ${name} is not set; used an empty value`);
  const config = settingsOf(raw, env, notes.warnings, { models, groups, fallbacks, keys, source: { path, text, vars } });
  return { config, ...notes };
}

/** The YAML text as a mapping of sections. */
function parseSections(text: string, path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`${path}: YAML syntax error: ${(err as Error).message.split("\n")[0]}`]);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new ConfigError([`(root): expected a mapping of sections, got ${Array.isArray(doc) ? "a list" : typeof doc}`]);
  }
  return doc as Record<string, unknown>;
}

function checkSections(substituted: Record<string, unknown>, { warnings, mistakes }: Notes): void {
  for (const key of Object.keys(substituted)) {
    if (!KNOWN_SECTIONS.has(key)) {
      warnings.push(`${key}: unknown section, ignored`);
      mistakes.push({ path: key, message: `unknown section "${key}" (known: ${[...KNOWN_SECTIONS].join(", ")})` });
    }
  }
  warnings.push(...legacyKeyWarnings(substituted));
}

/**
 * The groups by model name (entries sharing a `model_name` are deployments of one model), each
 * model's first deployment, and where each name first appears in model_list.
 */
function modelsOf(
  raw: RawConfig,
  problems: string[],
  { warnings, mistakes }: Notes,
  modulesFrom: { global: unknown; read: TemplateReader },
): { models: Map<string, ModelRoute>; groups: Map<string, ModelGroup>; modelIndex: Map<string, number> } {
  const groups = new Map<string, ModelGroup>();
  const modelIndex = new Map<string, number>();
  const fallbackStrategy = raw.router_settings?.routing_strategy ?? "weighted";
  const strategyFrom = new Map<string, string>();
  for (const { entry, index, item, where } of resolveModelEntries(raw.model_list, problems)) {
    const route = normalizeModel(entry, where, problems, warnings, mistakes);
    if (!route) continue;
    route.origin = { index, item };
    const modules = modulesForRoute(entry, route, modulesFrom.global, modulesFrom.read, warnings, where);
    if (modules) route.responseModules = modules;
    if (!modelIndex.has(route.name)) modelIndex.set(route.name, index);
    let group = groups.get(route.name);
    if (!group) {
      group = { name: route.name, deployments: [], strategy: entry.routing_strategy ?? fallbackStrategy };
      groups.set(route.name, group);
      if (entry.routing_strategy) strategyFrom.set(route.name, where);
    } else if (entry.routing_strategy && entry.routing_strategy !== group.strategy) {
      const first = strategyFrom.get(route.name);
      if (first) problems.push(`${where}.routing_strategy: "${entry.routing_strategy}" differs from the one ${first} sets for "${route.name}"`);
      else {
        group.strategy = entry.routing_strategy;
        strategyFrom.set(route.name, where);
      }
    }
    group.deployments.push(route);
  }
  nameDeployments(groups, problems);
  const models = new Map<string, ModelRoute>();
  for (const [name, group] of groups) models.set(name, group.deployments[0] as ModelRoute);
  return { models, groups, modelIndex };
}

/** Gives every deployment without an `id` one (`<model>#<n>`, or the model name when it is alone) and rejects repeats. */
function nameDeployments(groups: Map<string, ModelGroup>, problems: string[]): void {
  const seen = new Set<string>();
  for (const group of groups.values()) {
    const alone = group.deployments.length === 1;
    group.deployments.forEach((d, k) => {
      if (!d.id) d.id = alone ? d.name : `${d.name}#${k + 1}`;
      // In a group of several, rpm_limit / tpm_limit cap each deployment (the router steps around
      // it), not the model as a whole.
      if (!alone) d.limits = undefined;
      if (seen.has(d.id)) problems.push(`model_list: deployment id "${d.id}" is used twice`);
      seen.add(d.id);
    });
    if (group.deployments.every((d) => d.weight === 0)) problems.push(`model_list: every deployment of "${group.name}" has weight 0`);
  }
}

function fallbacksOf(raw: RawConfig, models: Map<string, ModelRoute>, { warnings, mistakes }: Notes): Map<string, string[]> {
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
      fallbacks.set(
        primary,
        list.filter((fb) => fb !== primary),
      );
    }
  });
  return fallbacks;
}

function appKeysOf(raw: RawConfig, problems: string[]): AppKey[] {
  const appKeysRaw = raw.app_keys ?? {};
  const defaults = appKeysRaw.defaults ?? {};
  const keyIds = new Set<string>();
  return (appKeysRaw.keys ?? []).map((k, i) => {
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
      limits: keyLimitsOf(k, defaults, `app_keys.keys[${i}]`, problems),
    };
  });
}

function checkAllowedKeys(groups: Map<string, ModelGroup>, keyIds: Set<string>, modelIndex: Map<string, number>, { warnings, mistakes }: Notes): void {
  for (const route of [...groups.values()].flatMap((g) => g.deployments)) {
    if (!(route.allowedKeys instanceof Set)) continue;
    for (const id of route.allowedKeys) {
      if (keyIds.has(id)) continue;
      warnings.push(`model "${route.name}": access_control.allowed_keys names unknown key_id "${id}"`);
      mistakes.push({
        path: `model_list[${modelIndex.get(route.name) ?? 0}].access_control.allowed_keys`,
        message: `model "${route.name}" allows key_id "${id}", which is not configured`,
      });
    }
  }
}

/** A `model_limits` entry naming no configured model limits nothing: said, as a typo'd fallback is. */
function checkModelLimits(raw: RawConfig, groups: Map<string, ModelGroup>, { warnings, mistakes }: Notes): void {
  const check = (where: string, limits: Record<string, unknown> | undefined) => {
    for (const name of Object.keys(limits ?? {})) {
      if (groups.has(name)) continue;
      warnings.push(`${where}.model_limits: model "${name}" is not configured`);
      mistakes.push({ path: `${where}.model_limits.${name}`, message: `limits for model "${name}", which is not configured` });
    }
  };
  const appKeys = raw.app_keys ?? {};
  check("app_keys.defaults", appKeys.defaults?.model_limits);
  (appKeys.keys ?? []).forEach((k, i) => check(`app_keys.keys[${i}]`, k.model_limits));
}

/** `proxy_settings.server`, with the environment's YALLMP_HOST and YALLMP_PORT before it. */
function serverOf(proxySettings: Record<string, unknown>, env: Record<string, string | undefined>): ProxyConfig["server"] {
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
  return {
    host: env.YALLMP_HOST ?? server.host ?? "127.0.0.1",
    port,
    bodyLimitBytes: Math.round((server.body_limit_mb ?? 32) * 1024 * 1024),
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnectionsPerIp: server.max_connections_per_ip ?? 256,
    adminOrigins: (server.admin_origins ?? []).map((o) => new URL(o).origin.toLowerCase()),
    shutdownGraceMs: Math.round((server.shutdown_grace_seconds ?? 20) * 1000),
    maxJsonDepth: server.max_json_depth ?? DEFAULT_MAX_JSON_DEPTH,
  };
}

/** The running config: every setting with its default, from the checked sections. */
function settingsOf(
  raw: RawConfig,
  env: Record<string, string | undefined>,
  warnings: string[],
  parts: Pick<ProxyConfig, "models" | "groups" | "fallbacks" | "source"> & { keys: AppKey[] },
): ProxyConfig {
  const proxySettings = (raw.proxy_settings ?? {}) as Record<string, unknown>;
  const appKeysRaw = raw.app_keys ?? {};
  const unauth = appKeysRaw.unauthenticated ?? {};
  const server = serverOf(proxySettings, env);
  const problems: string[] = [];
  const forwarders = forwardersOf(raw, env, server, problems, warnings);
  if (problems.length) throw new ConfigError(problems);
  return {
    models: parts.models,
    groups: parts.groups,
    fallbacks: parts.fallbacks,
    router: routerOf(raw),
    server,
    endpoints: {
      responses: raw.proxy_settings?.enable_responses_endpoint ?? true,
      messages: raw.proxy_settings?.enable_messages_endpoint ?? true,
      responsesWebSocket: raw.proxy_settings?.enable_responses_websocket ?? true,
    },
    responseState: responseStateOf(raw),
    webSocket: webSocketOf(raw, server.bodyLimitBytes),
    traces: tracesOf(raw),
    usage: usageSettingsOf(raw.proxy_settings?.usage),
    rateLimits: rateLimitSettingsOf(raw.proxy_settings?.rate_limits, env),
    telemetry: telemetrySettingsOf(env),
    forwarders,
    messagesPingIntervalMs: Math.round((raw.proxy_settings?.messages_ping_interval_seconds ?? 10) * 1000),
    appKeys: {
      enabled: appKeysRaw.enabled ?? false,
      headerName: (appKeysRaw.header_name ?? "x-api-key").toLowerCase(),
      allowUnauthenticated: appKeysRaw.allow_unauthenticated ?? false,
      keys: parts.keys,
      unauthenticated: {
        // yaLLMproxy's default of 5 at once, for callers without a key of a proxy that has keys.
        concurrencyLimit: unauth.concurrency_limit ?? (appKeysRaw.enabled && appKeysRaw.allow_unauthenticated ? 5 : 0),
        priority: unauth.priority ?? 1000,
        queueTimeoutMs: secondsToMs(unauth.queue_timeout),
      },
    },
    // The environment first, then configs/.env (where yaLLMproxy keeps it).
    adminPassword: env.YALLMP_ADMIN_PASSWORD || parts.source.vars.YALLMP_ADMIN_PASSWORD || undefined,
    databaseUrl: env.DATABASE_URL || databaseUrlFrom(raw.database, []) || "file:data/yallmproxy.db",
    logLevel: raw.proxy_settings?.logging?.level ?? env.LOG_LEVEL ?? (raw.proxy_settings?.debug ? "debug" : "info"),
    source: parts.source,
  };
}

function routerOf(raw: RawConfig): RouterSettings {
  const r = raw.router_settings ?? {};
  const affinity = r.session_affinity ?? {};
  const cooldownMs = Math.round((r.cooldown_seconds ?? 5) * 1000);
  return {
    numRetries: r.num_retries ?? 1,
    retryBaseDelayMs: r.retry_base_delay_ms ?? 250,
    retryMaxDelayMs: r.retry_max_delay_ms ?? 8000,
    strategy: r.routing_strategy ?? "weighted",
    allowedFails: r.allowed_fails ?? 3,
    cooldownMs,
    maxCooldownMs: Math.max(cooldownMs, Math.round((r.max_cooldown_seconds ?? 300) * 1000)),
    affinity: {
      enabled: affinity.enabled ?? true,
      header: affinity.header?.toLowerCase(),
      ttlMs: Math.round((affinity.ttl_seconds ?? 3600) * 1000),
      maxEntries: affinity.max_entries ?? 100_000,
    },
  };
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
