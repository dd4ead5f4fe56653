// yaLLMproxy's keys that this proxy does not honour, or reads differently on purpose: each one a
// config holds is named in a start-up warning, so no key of an old config is dropped silently.

import { apiTypeSchema } from "./schema.js";

type Obj = Record<string, unknown>;

const TRACES_INSTEAD = "request bodies are kept in the database's traces (proxy_settings.traces), not in files";

/** `path` (`[]` walks a list) → why it is not honoured. Model entries of a kind not served are skipped. */
const NOT_HONOURED: ReadonlyArray<readonly [string, string]> = [
  [
    "proxy_settings.logging.log_parsed_response",
    "*.parsed.log files are not written; a request's trace shows the parsed answer (traces.capture: full keeps its body)",
  ],
  [
    "proxy_settings.logging.log_parsed_stream",
    "*.parsed.log files are not written; a request's trace shows the parsed stream (traces.capture: full keeps its body)",
  ],
  ["proxy_settings.logging.log_to_disk", "logs go to standard output as JSON lines and request traces to the database; no *.log files are written"],
  ["proxy_settings.logging.full_request_storage.path", TRACES_INSTEAD],
  ["proxy_settings.logging.full_request_storage.cleanup_on_startup", `${TRACES_INSTEAD}; they expire after retention_hours`],
  ["proxy_settings.logging.full_request_storage.cleanup_interval_hours", `${TRACES_INSTEAD}; they expire after retention_hours`],
  ["database.pool_size", "the PostgreSQL pool size is fixed at 4 connections per replica"],
  ["database.max_overflow", "the PostgreSQL pool size is fixed at 4 connections per replica"],
  ["model_list[].editable", "use protected: false to allow changes through the admin API"],
  ["model_list[].model_params.scope", "a GigaChat setting; this backend kind does not use it"],
  ["model_list[].model_params.auth_url", "a GigaChat setting; this backend kind does not use it"],
  ["model_list[].model_params.emulate_tool_calls", "a GigaChat setting; this backend kind does not use it"],
  ["model_list[].model_params.client_cert", "client certificates are not implemented"],
  ["model_list[].model_params.client_key", "client certificates are not implemented"],
  ["model_list[].model_params.verify_ssl", "TLS certificates are always verified"],
];

/** api_types whose model entries are served; keys of other entries are covered by the model's own warning. */
const SERVED_API_TYPES: ReadonlySet<string> = new Set(apiTypeSchema.options);

/** The concrete paths of `pattern` present in `doc`, e.g. `model_list[3].editable`. */
function present(doc: unknown, segments: string[], at: string): string[] {
  if (segments.length === 0) return [at];
  const [head, ...rest] = segments as [string, ...string[]];
  if (head.endsWith("[]")) {
    const list = (doc as Obj | undefined)?.[head.slice(0, -2)];
    if (!Array.isArray(list)) return [];
    return list.flatMap((item, i) => (isServedEntry(item) ? present(item, rest, `${at}${head.slice(0, -2)}[${i}].`) : []));
  }
  if (typeof doc !== "object" || doc === null || !(head in doc)) return [];
  const next = (doc as Obj)[head];
  return present(next, rest, rest.length ? `${at}${head}.` : `${at}${head}`);
}

function isServedEntry(item: unknown): boolean {
  const params = (item as { model_params?: { api_type?: unknown } } | null)?.model_params;
  const type = params?.api_type ?? "openai";
  return typeof type === "string" && SERVED_API_TYPES.has(type);
}

/** One warning per yaLLMproxy key present that this proxy does not honour, and per deliberate difference. */
export function legacyKeyWarnings(doc: Obj): string[] {
  const out: string[] = [];
  for (const [pattern, why] of NOT_HONOURED) {
    for (const path of present(doc, pattern.split("."), "")) out.push(`${path}: not honoured by this proxy, ignored (${why})`);
  }
  const router = doc.router_settings as Obj | undefined;
  if (router && "num_retries" in router) {
    out.push(
      `router_settings.num_retries: counts retries after the first attempt here (num_retries: ${String(router.num_retries)} makes up to ${Number(router.num_retries) + 1} attempts per backend); yaLLMproxy counted attempts`,
    );
  }
  const proxy = (doc.proxy_settings ?? {}) as Obj;
  const flags = ["enable_responses_endpoint", "enable_messages_endpoint"];
  if (flags.some((f) => f in proxy)) {
    for (const f of flags) if (!(f in proxy)) out.push(`proxy_settings.${f}: not set, so the endpoint is on (yaLLMproxy turned it off when unset)`);
  }
  return out;
}
