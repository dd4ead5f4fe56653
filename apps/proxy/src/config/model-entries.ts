// `model_list` entries: `extends` resolved, then each entry checked and normalized into a route.

import { type RawModelEntry, apiTypeSchema, modelEntrySchema } from "./schema.js";
import { type LoadedConfig, type ModelRoute, type ParameterOverride, formatPath } from "./config-types.js";
import { modelLimitsOf, pricingOf } from "./limits-config.js";
import type { AnthropicBetaEdit } from "@yallmproxy/translate";
import { GIGACHAT_DEFAULT_BASE, gigachatAuthKeyOf, gigachatSettingsOf } from "./gigachat-config.js";

const DEFAULT_TIMEOUT_S = 600;
const MAX_EXTENDS_DEPTH = 10;

/**
 * Applies `extends` (deep merge, lists replaced), rejecting cycles and missing parents, and expands a
 * `deployments` list into one entry per deployment. An entry extends the first entry of the model it
 * names, so the second deployment of a group may extend its own group.
 */
export function resolveModelEntries(list: unknown[], problems: string[]): Array<{ entry: RawModelEntry; index: number; item?: number; where: string }> {
  const raws: Array<Record<string, unknown> | undefined> = [];
  const firstIndex = new Map<string, number>();
  list.forEach((item, index) => {
    if (!isPlainObject(item)) {
      problems.push(`model_list[${index}]: expected a mapping with model_name and model_params`);
      raws.push(undefined);
      return;
    }
    raws.push(item);
    const name = item.model_name;
    if (typeof name === "string" && !firstIndex.has(name)) firstIndex.set(name, index);
  });
  const nameOf = (i: number) => String(raws[i]?.model_name);

  const resolved = new Map<number, Record<string, unknown> | null>();
  const fail = (index: number, message: string): null => {
    problems.push(`model_list[${index}].extends: ${message}`);
    resolved.set(index, null);
    return null;
  };
  const resolveOne = (index: number, chain: number[]): Record<string, unknown> | null => {
    const cached = resolved.get(index);
    if (cached !== undefined) return cached;
    const raw = raws[index] as Record<string, unknown>;
    const parentName = raw.extends;
    if (parentName === undefined) {
      resolved.set(index, raw);
      return raw;
    }
    if (typeof parentName !== "string") return fail(index, "expected a model name");
    const parentIndex = firstIndex.get(parentName);
    if (parentIndex === undefined) return fail(index, `parent model "${parentName}" does not exist`);
    if (parentIndex === index || chain.includes(parentIndex)) {
      return fail(index, `circular extends (${[...chain, index].map(nameOf).concat(parentName).join(" -> ")})`);
    }
    if (chain.length >= MAX_EXTENDS_DEPTH) return fail(index, `extends chain deeper than ${MAX_EXTENDS_DEPTH}`);
    const parent = resolveOne(parentIndex, [...chain, index]);
    if (!parent) {
      resolved.set(index, null);
      return null;
    }
    const { model_name: _n, extends: _e, protected: _p, model_info: _i, id: _d, ...inheritable } = parent;
    const { extends: _own, ...own } = raw;
    const merged = deepMerge(inheritable, own);
    resolved.set(index, merged);
    return merged;
  };

  const out: Array<{ entry: RawModelEntry; index: number; item?: number; where: string }> = [];
  const check = (merged: Record<string, unknown>, index: number, path: Array<string | number>) => {
    const parsed = modelEntrySchema.safeParse(merged);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${formatPath(["model_list", index, ...path, ...issue.path])}: ${issue.message}`);
      return undefined;
    }
    return parsed.data;
  };
  raws.forEach((raw, index) => {
    if (!raw) return;
    const merged = resolveOne(index, []);
    const entry = merged && check(merged, index, []);
    if (!entry) return;
    if (!entry.deployments) return void out.push({ entry, index, where: `model_list[${index}]` });
    const { deployments, ...shared } = entry;
    deployments.forEach((item, k) => {
      const one = check(deepMerge(shared, { ...item, model_name: entry.model_name }), index, ["deployments", k]);
      if (one) out.push({ entry: one, index, item: k, where: `model_list[${index}].deployments[${k}]` });
    });
  });
  return out;
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
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

/** The model's API base without a trailing slash; undefined (a problem noted) when it is missing or not http(s). */
function apiBaseOf(raw: string | undefined, apiType: string, where: string, problems: string[]): string | undefined {
  const apiBase = (raw ?? "").replace(/\/+$/, "");
  if (apiType === "mock") return apiBase || "mock://local";
  if (apiType === "gigachat" && !apiBase) return GIGACHAT_DEFAULT_BASE;
  if (!apiBase) {
    problems.push(`${where}.model_params.api_base: required for api_type ${apiType}`);
    return undefined;
  }
  try {
    const u = new URL(apiBase);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
  } catch {
    problems.push(`${where}.model_params.api_base: not an http(s) URL: "${apiBase}"`);
    return undefined;
  }
  return apiBase;
}

function checkHeaders(headers: Record<string, string>, where: string, problems: string[]): void {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) problems.push(`${where}.model_params.headers.${name}: not a valid header name`);
    else if (MANAGED_HEADERS.has(lower)) problems.push(`${where}.model_params.headers.${name}: set by the proxy itself, cannot be configured`);
    else if (/[\r\n\0]/.test(value)) problems.push(`${where}.model_params.headers.${name}: the value contains a line break or NUL`);
  }
}

/** `name: value` or `name: {default, allow_override}`, a dotted name reaching into the body. */
function parametersOf(raw: Record<string, unknown>): ParameterOverride[] {
  return Object.entries(raw).map(([name, spec]) => {
    const isSpec = typeof spec === "object" && spec !== null && !Array.isArray(spec) && "default" in spec;
    return {
      path: name.split("."),
      value: isSpec ? (spec as { default: unknown }).default : spec,
      allowOverride: isSpec ? ((spec as { allow_override?: boolean }).allow_override ?? true) : true,
    };
  });
}

export function normalizeModel(
  entry: RawModelEntry,
  where: string,
  problems: string[],
  warnings: string[],
  mistakes: LoadedConfig["mistakes"],
): ModelRoute | undefined {
  const p = entry.model_params;
  const rawType = p.api_type ?? "openai";
  const apiType = apiTypeSchema.safeParse(rawType);
  if (!apiType.success) {
    warnings.push(`${where} (${entry.model_name}): api_type "${rawType}" is not implemented; model not served`);
    mistakes.push({
      path: `${where}.model_params.api_type`,
      message: `model "${entry.model_name}": api_type "${rawType}" is not one of ${apiTypeSchema.options.join(", ")}`,
    });
    return undefined;
  }
  const apiBase = apiBaseOf(p.api_base, apiType.data, where, problems);
  if (apiBase === undefined) return undefined;
  const gigachat = apiType.data === "gigachat" ? gigachatSettingsOf(p, where, entry.model_name, problems, warnings) : undefined;
  if (apiType.data === "gigachat" && !gigachat) return undefined;
  checkHeaders(p.headers ?? {}, where, problems);
  const parameters = parametersOf(entry.parameters ?? p.parameters ?? {});
  if (apiType.data === "passthrough" && (parameters.length > 0 || p.thinking)) {
    warnings.push(`${where} (${entry.model_name}): a passthrough model relays bodies untouched; its parameters and thinking are ignored`);
  }
  const allowed = entry.access_control?.allowed_keys;
  return {
    name: entry.model_name,
    // Named by the loader once the whole group is known.
    id: entry.id ?? entry.model_info?.id ?? "",
    weight: p.weight ?? 1,
    rpmLimit: p.rpm_limit,
    tpmLimit: p.tpm_limit,
    maxParallelRequests: p.max_parallel_requests,
    apiType: apiType.data,
    apiBase,
    apiKey: (gigachat ? gigachatAuthKeyOf(p) : p.api_key) || undefined,
    upstreamModel: upstreamModelOf(p, apiType.data) ?? entry.model_name,
    timeoutMs: Math.round((p.request_timeout ?? DEFAULT_TIMEOUT_S) * 1000),
    supportsReasoning: p.supports_reasoning ?? false,
    http2: p.http2 ?? false,
    ...(p.anthropic_version !== undefined && String(p.anthropic_version).trim() ? { anthropicVersion: String(p.anthropic_version).trim() } : {}),
    supportsResponsesApi: p.supports_responses_api ?? apiType.data === "openai-responses",
    parameters,
    // yaLLMproxy's `supports_reasoning` asks for thinking on every request that does not set its own.
    thinking: p.thinking ?? (p.supports_reasoning ? { type: "enabled" } : undefined),
    headers: p.headers ?? {},
    anthropicBetas: anthropicBetasOf(p.anthropic_betas, apiType.data, `${where}.model_params.anthropic_betas`, problems),
    allowedKeys: allowed === undefined || allowed === "all" ? "all" : allowed === "none" ? "none" : new Set(allowed),
    mock: p.mock,
    ...(gigachat ? { gigachat } : {}),
    // Only an explicit `protected: true` locks a model against admin API changes.
    protected: entry.protected === true,
    traceCapture: p.trace_capture,
    limits: modelLimitsOf(p),
    pricing: pricingOf(p.pricing),
    history: {
      includeReasoning: p.history_policy?.include_reasoning ?? true,
      includeRefusals: p.history_policy?.include_refusals ?? true,
    },
  };
}

/** A beta name is one header token: no comma, space or control character. */
const BETA_NAME = /^[\x21-\x2b\x2d-\x7e]+$/;

function anthropicBetasOf(
  raw: { drop?: string[] | undefined; add?: string[] | undefined } | undefined,
  apiType: string,
  where: string,
  problems: string[],
): AnthropicBetaEdit | undefined {
  if (raw === undefined) return undefined;
  if (apiType === "openai" || apiType === "openai-responses" || apiType === "gigachat") {
    problems.push(`${where}: only for api_type anthropic (${apiType === "gigachat" ? "a GigaChat" : "an OpenAI"} backend is sent no anthropic-beta)`);
    return undefined;
  }
  const drop = raw.drop ?? [];
  const add = raw.add ?? [];
  for (const [list, names] of [
    ["drop", drop],
    ["add", add],
  ] as const) {
    names.forEach((name, i) => {
      if (!BETA_NAME.test(name) || (list === "add" && name.includes("*"))) problems.push(`${where}.${list}[${i}]: not a beta name: "${name}"`);
    });
  }
  return { drop, add };
}

/**
 * The model name sent upstream: `target_model` or `forward_model` as written, else `model` without
 * a LiteLLM-style `openai/` (or `<api_type>/`) prefix, as yaLLMproxy sent it.
 */
function upstreamModelOf(p: RawModelEntry["model_params"], apiType: string): string | undefined {
  const override = (p.target_model ?? p.forward_model)?.trim();
  if (override) return override;
  const model = p.model?.trim();
  if (!model) return undefined;
  for (const prefix of [`${apiType}/`, "openai/"]) {
    if (model.toLowerCase().startsWith(prefix) && model.length > prefix.length) return model.slice(prefix.length);
  }
  return model;
}
