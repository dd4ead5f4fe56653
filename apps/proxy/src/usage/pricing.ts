// What a request cost in USD: the model's `model_params.pricing` when set, else the price database
// that ships with @pydantic/genai-prices (read offline: its remote update is never asked for). A
// model neither knows is unpriced, which the ledger records as such rather than as free.

import { calcPrice } from "@pydantic/genai-prices";
import type { ModelPricing } from "../config/limits-config.js";

export interface PricedUsage {
  /** The whole prompt, cache reads and writes included. */
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
}

const PER_TOKEN = 1 / 1_000_000;

/** The cost under a configured price: cached input and cache writes at their own rates when given. */
function configuredCost(u: PricedUsage, p: ModelPricing): number {
  const uncached = Math.max(0, u.inputTokens - u.cachedTokens - u.cacheWriteTokens);
  return (
    (uncached * p.input + u.cachedTokens * (p.cachedInput ?? p.input) + u.cacheWriteTokens * (p.cacheWrite ?? p.input) + u.outputTokens * p.output) * PER_TOKEN
  );
}

/** Per-token rates of a model in the database's base tier, and where its first higher tier starts. */
interface Rates {
  request: number;
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
  /** Requests with more input tokens than this are priced by the database itself (long-context tiers). */
  tierFrom: number;
  foundAt: number;
}

/** Looked up again after this long, as the database's prices can change by date. */
const RATES_TTL_MS = 3600 * 1000;
const rates = new Map<string, Rates | null>();

type DbUsage = Parameters<typeof calcPrice>[0];

function lookup(usage: DbUsage, model: string, apiBase: string): number | undefined {
  return (calcPrice(usage, model, { providerApiUrl: apiBase }) ?? calcPrice(usage, model))?.total_price;
}

/**
 * A model's rates, found by pricing one token of each kind: the database's own price is linear in
 * each count below its first tier, so a request then costs their weighted sum without a lookup.
 */
function ratesOf(model: string, apiBase: string): Rates | null {
  const id = `${apiBase}\u0000${model}`;
  const cached = rates.get(id);
  if (cached !== undefined && (cached === null || Date.now() - cached.foundAt < RATES_TTL_MS)) return cached;
  const found = calcPrice({ input_tokens: 1 }, model, { providerApiUrl: apiBase }) ?? calcPrice({ input_tokens: 1 }, model);
  let r: Rates | null = null;
  if (found) {
    const request = lookup({}, model, apiBase) ?? 0;
    let tierFrom = Infinity;
    for (const v of Object.values(found.model_price)) if (typeof v === "object") for (const t of v.tiers) tierFrom = Math.min(tierFrom, t.start);
    r = {
      request,
      input: found.total_price - request,
      cached: (lookup({ input_tokens: 1, cache_read_tokens: 1 }, model, apiBase) ?? 0) - request,
      cacheWrite: (lookup({ input_tokens: 1, cache_write_tokens: 1 }, model, apiBase) ?? 0) - request,
      output: (lookup({ output_tokens: 1 }, model, apiBase) ?? 0) - request,
      tierFrom,
      foundAt: Date.now(),
    };
  }
  if (rates.size > 10_000) rates.clear();
  rates.set(id, r);
  return r;
}

/**
 * The cost of one request, or undefined when its model has no price. `apiBase` picks the provider
 * where the database knows the host; a proxy-local host falls back to the model name alone.
 */
export function costOf(u: PricedUsage, upstreamModel: string, apiBase: string, pricing: ModelPricing | undefined): number | undefined {
  if (pricing) return configuredCost(u, pricing);
  const r = ratesOf(upstreamModel, apiBase);
  if (!r) return undefined;
  if (u.inputTokens > r.tierFrom) {
    return lookup(
      { input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_read_tokens: u.cachedTokens, cache_write_tokens: u.cacheWriteTokens },
      upstreamModel,
      apiBase,
    );
  }
  const uncached = Math.max(0, u.inputTokens - u.cachedTokens - u.cacheWriteTokens);
  return r.request + uncached * r.input + u.cachedTokens * r.cached + u.cacheWriteTokens * r.cacheWrite + u.outputTokens * r.output;
}
