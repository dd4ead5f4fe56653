// yaLLMproxy's `POST /admin/models` payload turned into a `model_list` entry: either nested (its
// admin page's `{model_name, model_params: {...}}`) or flat (`{model_name, api_base, api_key,
// model, ...}` of scripts), with its renames (`name`, `base_url`, `timeout`, `target_model`), and
// `fallbacks` kept apart for `router_settings.fallbacks`.

/** Fields of a flat payload that are the entry's own, not its `model_params`. */
const ENTRY_FIELDS = ["model_name", "name", "fallbacks", "protected", "admin_password", "extends", "parameters", "modules", "parsers"];
/** A top-level field that only a flat payload has (a `model_list` entry keeps them in model_params). */
const FLAT_FIELDS = ["api_base", "base_url", "api_key", "api_type", "model", "target_model", "forward_model", "request_timeout", "timeout"];

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is Json => isObject(v) && Object.keys(v).length > 0;

export interface ModelPayload {
  name: string;
  entry: Json;
  /** `router_settings.fallbacks` of the model: undefined when the payload does not say. */
  fallbacks: string[] | undefined;
  /** Whether the payload gave an `api_key` (else an existing entry's is kept). */
  hasApiKey: boolean;
}

/**
 * Whether a `POST /admin/models` body is yaLLMproxy's register payload (an upsert) rather than a
 * `model_list` entry to add: it names an upstream (`api_base`/`base_url`, at the top or in
 * `model_params`, which yaLLMproxy requires), is flat, or gives `fallbacks`.
 */
export function isYallmproxyPayload(body: Json): boolean {
  if (FLAT_FIELDS.some((f) => f in body) || "fallbacks" in body || ("name" in body && !("model_name" in body))) return true;
  const params = body.model_params;
  return isObject(params) && ("api_base" in params || "base_url" in params);
}

function fallbacksOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== "" && v !== false).map(String);
  throw new PayloadError("fallbacks", "fallbacks must be a string or a list of strings");
}

export class PayloadError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** yaLLMproxy's `target_model` (or `forward_model`), else `model` without an `<api_type>/` or `openai/` prefix. */
function targetModelOf(params: Json, apiType: string): string | undefined {
  const override = params.target_model ?? params.forward_model;
  if (override !== undefined && override !== null && String(override).trim()) return String(override).trim();
  const raw = String(params.model ?? "").trim();
  if (!raw) return undefined;
  for (const prefix of [`${apiType}/`, "openai/"]) if (raw.toLowerCase().startsWith(prefix) && raw.length > prefix.length) return raw.slice(prefix.length);
  return raw;
}

/** The `model_params` yaLLMproxy would save: renames applied, empty values dropped. */
function paramsOf(body: Json): Json {
  const params: Json = nonEmpty(body.model_params) ? { ...body.model_params } : { ...body };
  if (!nonEmpty(body.model_params)) for (const f of ENTRY_FIELDS) delete params[f];
  if (!("api_base" in params) && "base_url" in params) params.api_base = params.base_url;
  delete params.base_url;
  if (!("request_timeout" in params) && "timeout" in params) params.request_timeout = params.timeout;
  delete params.timeout;
  if (!("request_timeout" in params) && body.request_timeout !== undefined) params.request_timeout = body.request_timeout;
  if (!params.api_key && typeof body.api_key === "string" && body.api_key) params.api_key = body.api_key;
  const apiType =
    String(params.api_type ?? "openai")
      .trim()
      .toLowerCase() || "openai";
  const target = targetModelOf(params, apiType);
  if (!("model" in params) && target) params.model = target;
  delete params.target_model;
  delete params.forward_model;
  if (params.supports_reasoning === undefined && body.supports_reasoning !== undefined) params.supports_reasoning = body.supports_reasoning;
  for (const [k, v] of Object.entries(params)) if (v === null || v === undefined || (typeof v === "string" && !v.trim())) delete params[k];
  if (typeof params.request_timeout === "string" && params.request_timeout.trim() !== "" && Number.isFinite(Number(params.request_timeout))) {
    params.request_timeout = Number(params.request_timeout);
  }
  return params;
}

/** The entry and fallbacks of a yaLLMproxy register payload; throws PayloadError (400) as yaLLMproxy refuses. */
export function modelFromYallmproxyPayload(body: Json): ModelPayload {
  const name = String(body.model_name ?? body.name ?? "").trim();
  if (!name) throw new PayloadError("model_name", "model_name is required");
  const params = paramsOf(body);
  if (typeof params.api_base !== "string" || !params.api_base.trim()) throw new PayloadError("api_base", "api_base is required");
  const entry: Json = { model_name: name };
  if (body.extends) entry.extends = body.extends;
  entry.model_params = params;
  if (body.parameters !== undefined) entry.parameters = body.parameters;
  const modules = body.modules ?? body.parsers;
  if (modules !== undefined) entry.modules = modules;
  if (body.protected !== undefined) entry.protected = body.protected;
  const hasApiKey = "api_key" in body || (isObject(body.model_params) && "api_key" in body.model_params);
  return { name, entry, fallbacks: fallbacksOf(body.fallbacks), hasApiKey };
}
