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

/** Models the price database does not know, so a miss is searched for once. */
const unknownModels = new Set<string>();

/**
 * The cost of one request, or undefined when its model has no price. `apiBase` picks the provider
 * where the database knows the host; a proxy-local host falls back to the model name alone.
 */
export function costOf(u: PricedUsage, upstreamModel: string, apiBase: string, pricing: ModelPricing | undefined): number | undefined {
  if (pricing) return configuredCost(u, pricing);
  if (unknownModels.has(upstreamModel)) return undefined;
  const usage = {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    cache_read_tokens: u.cachedTokens,
    cache_write_tokens: u.cacheWriteTokens,
  };
  const found = calcPrice(usage, upstreamModel, { providerApiUrl: apiBase }) ?? calcPrice(usage, upstreamModel);
  if (!found) {
    if (unknownModels.size < 10_000) unknownModels.add(upstreamModel);
    return undefined;
  }
  return found.total_price;
}
