// A model form's values and the `model_list` entry they stand for. Editing keeps every field of the
// entry the form does not show (headers, modules, access control…) as it was, and a secret left as
// the server masked it (`***`) keeps its running value.

import type { ConfigProblem, ModelEntry } from "../../api/types";

/** The backend types the admin API accepts (others are refused as a likely typo). */
export const API_TYPES = ["openai", "openai-responses", "anthropic", "gigachat", "mock", "passthrough"] as const;

export interface ModelFormValues {
  model_name: string;
  extends: string;
  /** Empty: inherited from the parent (or the default, openai). */
  api_type: string;
  api_base: string;
  model: string;
  api_key: string;
  /** Seconds, as typed. */
  request_timeout: string;
  /** `model_params.parameters` as JSON text. */
  parameters: string;
}

export type FormField = keyof ModelFormValues;

/** Text fields of `model_params` the form edits as they are. */
const PARAM_TEXT = ["api_type", "api_base", "model", "api_key"] as const;

/** The longest JSON the parameters field takes. */
export const MAX_PARAMETERS_CHARS = 20_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

export function emptyForm(): ModelFormValues {
  return { model_name: "", extends: "", api_type: "openai", api_base: "", model: "", api_key: "", request_timeout: "", parameters: "" };
}

/** The form's values for an entry as `GET /admin/models/:name` answers it. */
export function formFromEntry(entry: ModelEntry): ModelFormValues {
  const params = isObject(entry.model_params) ? entry.model_params : {};
  // A top-level `parameters` wins over model_params' (as yaLLMproxy read it); the form keeps the merge.
  const parameters = { ...(isObject(params.parameters) ? params.parameters : {}), ...(isObject(entry.parameters) ? entry.parameters : {}) };
  return {
    model_name: entry.model_name,
    extends: text(entry.extends),
    api_type: text(params.api_type),
    api_base: text(params.api_base),
    model: text(params.model),
    api_key: text(params.api_key),
    request_timeout: text(params.request_timeout),
    parameters: Object.keys(parameters).length > 0 ? JSON.stringify(parameters, null, 2) : "",
  };
}

export type EntryResult = { entry: ModelEntry; problems?: undefined } | { entry?: undefined; problems: Partial<Record<FormField, string>> };

/** The entry to send: `base` (the entry being edited, or none) with the form's fields set or removed. */
export function entryFromForm(values: ModelFormValues, base?: ModelEntry): EntryResult {
  const problems: Partial<Record<FormField, string>> = {};
  const name = values.model_name.trim();
  if (!name) problems.model_name = "A model needs a name.";
  const { parameters, parsed } = parametersOf(values.parameters);
  if (parsed !== undefined) problems.parameters = parsed;
  const timeout = values.request_timeout.trim();
  if (timeout && !Number.isFinite(Number(timeout))) problems.request_timeout = "A number of seconds.";
  if (Object.keys(problems).length > 0) return { problems };

  const { extends: _parent, parameters: _top, ...rest } = base ?? { model_name: name };
  const params: Record<string, unknown> = isObject(base?.model_params) ? { ...base.model_params } : {};
  for (const field of PARAM_TEXT) {
    // Spaces around a URL, name or key are never part of it.
    const value = values[field].trim();
    if (value) params[field] = value;
    else delete params[field];
  }
  if (timeout) params.request_timeout = Number(timeout);
  else delete params.request_timeout;
  if (parameters) params.parameters = parameters;
  else delete params.parameters;

  const entry: ModelEntry = { ...rest, model_name: name };
  const parent = values.extends.trim();
  if (parent) entry.extends = parent;
  // An alias of its parent needs no model_params of its own; anything else does.
  if (Object.keys(params).length > 0 || !parent) entry.model_params = params;
  else delete entry.model_params;
  return { entry };
}

function parametersOf(raw: string): { parameters?: Record<string, unknown>; parsed?: string } {
  if (!raw.trim()) return {};
  if (raw.length > MAX_PARAMETERS_CHARS) return { parsed: `At most ${MAX_PARAMETERS_CHARS} characters.` };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { parsed: `Not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isObject(value)) return { parsed: 'A JSON object of parameter names, e.g. {"temperature": 0.2}.' };
  return { parameters: value };
}

/** Where a problem's `field` (its path inside the entry sent) is shown in the form, if anywhere. */
function formFieldOf(field: string | undefined): FormField | undefined {
  if (field === undefined) return undefined;
  if (field === "model_name" || field === "extends") return field;
  if (field === "parameters" || field.startsWith("parameters.")) return "parameters";
  const m = /^model_params\.([a-z_]+)/.exec(field);
  const param = m?.[1];
  if (param === "parameters") return "parameters";
  if (param === "request_timeout") return param;
  return (PARAM_TEXT as readonly string[]).includes(param ?? "") ? (param as FormField) : undefined;
}

/** The server's problems sorted into the form's fields, and the rest. */
export function problemsByField(problems: ConfigProblem[]): { fields: Partial<Record<FormField, string[]>>; other: ConfigProblem[] } {
  const fields: Partial<Record<FormField, string[]>> = {};
  const other: ConfigProblem[] = [];
  for (const p of problems) {
    const at = formFieldOf(p.field);
    if (at) (fields[at] ??= []).push(p.message);
    else other.push(p);
  }
  return { fields, other };
}
