// The config of the usage ledger, prices, budgets and rate limits, in LiteLLM's words where the
// concept is the same: `rpm_limit`, `tpm_limit`, `max_budget` with `budget_duration`, `model_limits`.

import { z } from "zod";

const limitCount = z.number().int().min(1);
const rateFields = { rpm_limit: limitCount.optional(), tpm_limit: limitCount.optional() };

/** `1h`, `1d`, `30d`, `45m`, `90s`. */
const DURATION = /^(\d+)\s*([smhd])$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** The fields an `app_keys.keys[]` entry (and `app_keys.defaults`) may carry. */
export const keyLimitFields = {
  ...rateFields,
  /** USD the key may spend per `budget_duration`. */
  max_budget: z.number().positive().optional(),
  budget_duration: z.string().regex(DURATION, "expected a duration like 30s, 45m, 1h, 1d or 30d").optional(),
  model_limits: z.record(z.string(), z.object(rateFields).strict()).optional(),
};

/** `model_params.pricing`: USD per million tokens. */
export const pricingSchema = z
  .object({
    input: z.number().min(0),
    output: z.number().min(0),
    cached_input: z.number().min(0).optional(),
    cache_write: z.number().min(0).optional(),
  })
  .strict();

export const modelLimitFields = { ...rateFields, pricing: pricingSchema.optional() };

export const usageSettingsSchema = z
  .object({
    /** false: no roll-ups are written (the limits still count; `/admin/usage` answers from what is there). */
    enabled: z.boolean().optional(),
    retention_days: z.number().positive().optional(),
    flush_interval_ms: z.number().int().min(10).optional(),
    queue_size: z.number().int().min(1).optional(),
  })
  .strict();

export const rateLimitSettingsSchema = z
  .object({
    /** With Redis unreachable: admit requests (true) or refuse them (false). */
    fail_open: z.boolean().optional(),
    /** Longest wait for one Redis command. */
    redis_timeout_ms: z.number().int().min(1).max(10_000).optional(),
    /** With Redis: a busy replica far from a limit may take a few requests' worth at once (false: every request asks Redis). */
    leases: z.boolean().optional(),
  })
  .strict();

export interface RateLimit {
  rpm: number | undefined;
  tpm: number | undefined;
}

export interface KeyLimits extends RateLimit {
  budget: { maxUsd: number; durationSeconds: number } | undefined;
  models: Map<string, RateLimit>;
}

/** USD per million tokens; cached input and cache writes cost `input` unless priced apart. */
export interface ModelPricing {
  input: number;
  output: number;
  cachedInput: number | undefined;
  cacheWrite: number | undefined;
}

export interface UsageSettings {
  enabled: boolean;
  retentionDays: number;
  flushIntervalMs: number;
  queueSize: number;
}

export interface RateLimitSettings {
  failOpen: boolean;
  redisTimeoutMs: number;
  leases: boolean;
  /** REDIS_URL: counters shared by every replica; without it they are this process's own. */
  redisUrl: string | undefined;
}

type KeyLimitInput = { [K in keyof typeof keyLimitFields]?: z.infer<(typeof keyLimitFields)[K]> };

function rateOf(own: { rpm_limit?: number | undefined; tpm_limit?: number | undefined } | undefined): RateLimit | undefined {
  if (!own || (own.rpm_limit === undefined && own.tpm_limit === undefined)) return undefined;
  return { rpm: own.rpm_limit, tpm: own.tpm_limit };
}

function durationSeconds(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

/** A key's limits, its own fields over `app_keys.defaults`; undefined when it has none (no work per request). */
export function keyLimitsOf(own: KeyLimitInput, defaults: KeyLimitInput, where: string, problems: string[]): KeyLimits | undefined {
  const rpm = own.rpm_limit ?? defaults.rpm_limit;
  const tpm = own.tpm_limit ?? defaults.tpm_limit;
  const maxUsd = own.max_budget ?? defaults.max_budget;
  const duration = own.budget_duration ?? defaults.budget_duration;
  if (maxUsd !== undefined && duration === undefined) problems.push(`${where}.budget_duration: required with max_budget (e.g. 1d or 30d)`);
  const models = new Map<string, RateLimit>();
  for (const [name, spec] of Object.entries({ ...defaults.model_limits, ...own.model_limits })) {
    const rate = rateOf(spec);
    if (rate) models.set(name, rate);
  }
  const budget = maxUsd !== undefined && duration !== undefined ? { maxUsd, durationSeconds: durationSeconds(duration) } : undefined;
  if (rpm === undefined && tpm === undefined && !budget && models.size === 0) return undefined;
  return { rpm, tpm, budget, models };
}

export function modelLimitsOf(params: { rpm_limit?: number | undefined; tpm_limit?: number | undefined }): RateLimit | undefined {
  return rateOf(params);
}

export function pricingOf(p: z.infer<typeof pricingSchema> | undefined): ModelPricing | undefined {
  return p && { input: p.input, output: p.output, cachedInput: p.cached_input, cacheWrite: p.cache_write };
}

export function usageSettingsOf(raw: z.infer<typeof usageSettingsSchema> | undefined): UsageSettings {
  return {
    enabled: raw?.enabled ?? true,
    retentionDays: raw?.retention_days ?? 400,
    flushIntervalMs: raw?.flush_interval_ms ?? 1000,
    queueSize: raw?.queue_size ?? 50_000,
  };
}

export function rateLimitSettingsOf(raw: z.infer<typeof rateLimitSettingsSchema> | undefined, env: Record<string, string | undefined>): RateLimitSettings {
  return {
    failOpen: raw?.fail_open ?? true,
    redisTimeoutMs: raw?.redis_timeout_ms ?? 250,
    leases: raw?.leases ?? true,
    redisUrl: env.REDIS_URL || undefined,
  };
}
