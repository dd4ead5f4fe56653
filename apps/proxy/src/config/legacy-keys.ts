// yaLLMproxy's keys that this proxy does not honour, or reads differently on purpose: each one a
// config holds is named in a start-up warning, so no key of an old config is dropped silently.

import { apiTypeSchema } from "./schema.js";

type Obj = Record<string, unknown>;

const TRACES_INSTEAD = "request bodies are kept in the database's traces (proxy_settings.traces), not in files";

const GIGACHAT_KEYS = ["scope", "auth_url", "emulate_tool_calls", "mode", "client_id", "client_secret", "client_cert", "client_key", "ca_cert", "verify_ssl"];

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
  ...GIGACHAT_KEYS.map((key) => [`model_list[].model_params.${key}`, "a GigaChat setting; this backend kind does not use it"] as const),
  ["http_forwarder_settings.ssl.hosts", "the certificate comes from cert_file; hosts only named what yaLLMproxy's mkcert task made one for"],
];

/** Keys only one backend kind reads: warned about on the entries of every other kind. */
const KIND_OF_KEY: ReadonlyMap<string, string> = new Map(GIGACHAT_KEYS.map((key) => [`model_list[].model_params.${key}`, "gigachat"]));

/** api_types whose model entries are served; keys of other entries are covered by the model's own warning. */
const SERVED_API_TYPES: ReadonlySet<string> = new Set(apiTypeSchema.options);

/** The concrete paths of `pattern` present in `doc`, e.g. `model_list[3].editable`. */
function present(doc: unknown, segments: string[], at: string, ownKind?: string): string[] {
  if (segments.length === 0) return [at];
  const [head, ...rest] = segments as [string, ...string[]];
  if (head.endsWith("[]")) {
    const list = (doc as Obj | undefined)?.[head.slice(0, -2)];
    if (!Array.isArray(list)) return [];
    return list.flatMap((item, i) => (isServedEntry(item, ownKind) ? present(item, rest, `${at}${head.slice(0, -2)}[${i}].`) : []));
  }
  if (typeof doc !== "object" || doc === null || !(head in doc)) return [];
  const next = (doc as Obj)[head];
  return present(next, rest, rest.length ? `${at}${head}.` : `${at}${head}`);
}

/** A served entry, but not one of `ownKind`, which reads the key itself. */
function isServedEntry(item: unknown, ownKind: string | undefined): boolean {
  const params = (item as { model_params?: { api_type?: unknown } } | null)?.model_params;
  const type = params?.api_type ?? "openai";
  return typeof type === "string" && SERVED_API_TYPES.has(type) && type !== ownKind;
}

/** One warning per yaLLMproxy key present that this proxy does not honour, and per deliberate difference. */
export function legacyKeyWarnings(doc: Obj): string[] {
  const out: string[] = [];
  for (const [pattern, why] of NOT_HONOURED) {
    for (const path of present(doc, pattern.split("."), "", KIND_OF_KEY.get(pattern))) out.push(`${path}: not honoured by this proxy, ignored (${why})`);
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
