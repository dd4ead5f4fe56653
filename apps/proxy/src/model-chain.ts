// Which deployments a model name reaches: its group's, then its fallbacks' in order, found once per
// config and model.

import type { ModelGroup, ModelRoute, ProxyConfig } from "./config/load-config.js";

export function stripProviderPrefix(model: string): string {
  return model.startsWith("openai/") ? model.slice("openai/".length) : model;
}

/**
 * The deployments of a model, then of its fallbacks in order (unknown or repeated names skipped).
 * Raw pass-through deployments are served on `/p1` only: the format endpoints do not know them.
 */
export function routesForModel(config: ProxyConfig, model: string): readonly ModelRoute[] {
  return chainOf(config, model).routes;
}

/** A model's group name, then its fallbacks' (configured ones only, each once); none for a pass-through model. */
export function groupNamesFor(config: ProxyConfig, model: string): readonly string[] {
  return chainOf(config, model).names;
}

interface ModelChain {
  names: readonly string[];
  routes: readonly ModelRoute[];
}

const NO_CHAIN: ModelChain = { names: [], routes: [] };
/** Each config's chains, made once per configured model (a config is never changed in place). */
const chains = new WeakMap<ProxyConfig, Map<string, ModelChain>>();

function chainOf(config: ProxyConfig, model: string): ModelChain {
  const own = config.groups.get(model);
  // Unknown names are not kept: a client's string must not grow the map.
  if (!own) return NO_CHAIN;
  let byModel = chains.get(config);
  if (!byModel) chains.set(config, (byModel = new Map()));
  let chain = byModel.get(model);
  if (!chain) {
    chain = buildChain(config, model, own);
    byModel.set(model, chain);
  }
  return chain;
}

function buildChain(config: ProxyConfig, model: string, own: ModelGroup): ModelChain {
  if (own.deployments.every((route) => route.apiType === "passthrough")) return NO_CHAIN;
  const names = [model];
  for (const name of config.fallbacks.get(model) ?? []) if (config.groups.has(name) && !names.includes(name)) names.push(name);
  const routes = names.flatMap((name) => config.groups.get(name)?.deployments.filter((route) => route.apiType !== "passthrough") ?? []);
  return { names, routes };
}
