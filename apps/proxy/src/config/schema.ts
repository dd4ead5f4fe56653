// The shape of configs/config.yaml: yaLLMproxy's format, read as-is, plus this proxy's additions.
// Objects are loose: sections this proxy does not implement are kept and warned about, never fatal.

import { z } from "zod";
import { keyLimitFields, modelLimitFields, rateLimitSettingsSchema, usageSettingsSchema } from "./limits-config.js";

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

/** A boolean, or a string yaLLMproxy read as one (`"true"`, `"yes"`, `"on"`, `"1"` and their opposites). */
export const boolish = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  const word = v.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : v;
}, z.boolean());

/** A number, or a string holding one (`"540"`), as yaLLMproxy's `float()` / `int()` read it. */
export function numberish<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v), schema);
}

const positiveNumber = numberish(z.number().positive());

export const apiTypeSchema = z.enum(["openai", "openai-responses", "anthropic", "mock", "passthrough", "gigachat"]);

const mockOptionsSchema = z
  .object({
    /** Delay before the response starts. */
    latency_ms: z.number().int().min(0).optional(),
    /** Delay between streamed chunks. */
    chunk_delay_ms: z.number().int().min(0).optional(),
    /** Answer with this HTTP status and an OpenAI error body instead of a completion. */
    fail_status: z.number().int().min(400).max(599).optional(),
    fail_message: z.string().optional(),
    /** Fail only the first N calls (then answer normally), to demonstrate retries. */
    fail_times: z.number().int().min(1).optional(),
    /** Send a `retry-after` header (seconds) with failures. */
    retry_after_seconds: z.number().min(0).optional(),
    /** Break the stream's connection after this many chunks. */
    cut_after_chunks: z.number().int().min(0).optional(),
    /** Fixed answer text instead of the echo. */
    reply: z.string().optional(),
    /**
     * `echo` (default): repeat the last user message, call the first offered tool. `agent`: for coding
     * agents: greet the user's own words (not the context agents add), call a tool only when asked.
     */
    mode: z.enum(["echo", "agent"]).optional(),
  })
  .strict();

const parameterSchema = z.union([
  z
    .object({
      default: z.unknown(),
      allow_override: boolish.optional(),
    })
    .loose(),
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown())]),
]);

const modelParamsSchema = z
  .object({
    api_type: z.string().optional(),
    api_base: z.string().optional(),
    api_key: z.string().optional(),
    model: z.string().optional(),
    target_model: z.string().optional(),
    /** yaLLMproxy's other name for `target_model`. */
    forward_model: z.string().optional(),
    request_timeout: positiveNumber.optional(),
    supports_reasoning: boolish.optional(),
    supports_responses_api: boolish.optional(),
    http2: boolish.optional(),
    /** `anthropic-version` sent to an Anthropic backend when the client sends none. */
    anthropic_version: z.union([z.string(), z.number()]).optional(),
    thinking: z.record(z.string(), z.unknown()).optional(),
    parameters: z.record(z.string(), parameterSchema).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** `anthropic-beta` edits for this backend (names to drop, a trailing `*` a prefix; names to add). */
    anthropic_betas: z
      .object({ drop: z.array(z.string().min(1)).optional(), add: z.array(z.string().min(1)).optional() })
      .strict()
      .optional(),
    mock: mockOptionsSchema.optional(),
    /** GigaChat: `cloud` (OAuth token from `auth_url`) or `local` (client certificate only). */
    mode: z.string().optional(),
    scope: z.string().optional(),
    /** GigaChat: `api_key` made from these when it is not given, as yaLLMproxy's admin API made it. */
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    auth_url: z.string().optional(),
    client_cert: z.string().optional(),
    client_key: z.string().optional(),
    /** PEM file of the CA that signed the GigaChat server's certificate (Russian Trusted Root CA). */
    ca_cert: z.string().optional(),
    verify_ssl: boolish.optional(),
    emulate_tool_calls: boolish.optional(),
    trace_capture: z.enum(["off", "metadata", "full"]).optional(),
    /** What a `previous_response_id` chain replays to this model. */
    history_policy: z.object({ include_reasoning: z.boolean().optional(), include_refusals: z.boolean().optional() }).strict().optional(),
    /** `rpm_limit` / `tpm_limit` (each deployment's own), `pricing`. */
    ...modelLimitFields,
    /** A deployment's share of its group's traffic under the `weighted` strategy. */
    weight: z.number().min(0).optional(),
    max_parallel_requests: z.number().int().min(1).optional(),
  })
  .loose();

/** LiteLLM's strategy names are read as the ones they mean. */
const STRATEGY_ALIASES: Record<string, string> = {
  "simple-shuffle": "weighted",
  "latency-based-routing": "latency",
  "usage-based-routing": "usage",
  "usage-based-routing-v2": "usage",
};
const routingStrategySchema = z.preprocess(
  (v) => (typeof v === "string" ? (STRATEGY_ALIASES[v] ?? v) : v),
  z.enum(["weighted", "least-busy", "latency", "usage"]),
);

export const modelEntrySchema = z
  .object({
    model_name: z.string().min(1),
    extends: z.string().optional(),
    protected: boolish.optional(),
    model_params: modelParamsSchema,
    /** yaLLMproxy read `parameters` beside `model_params` too; there it wins over `model_params.parameters`. */
    parameters: z.record(z.string(), parameterSchema).optional(),
    access_control: z
      .object({
        allowed_keys: z.union([z.literal("all"), z.literal("none"), z.array(z.string())]).optional(),
      })
      .loose()
      .optional(),
    modules: z.unknown().optional(),
    /** LiteLLM's `model_info.id` names a deployment. */
    model_info: z
      .object({ id: z.string().min(1).optional() })
      .loose()
      .optional(),
    /** The deployment's name (as `model_info.id`). */
    id: z.string().min(1).optional(),
    /** Overrides `router_settings.routing_strategy` for this model's group. */
    routing_strategy: routingStrategySchema.optional(),
    /** Several deployments in one entry: each a partial entry merged over this one. */
    deployments: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  })
  .loose();

const keySchema = z
  .object({
    key_id: z.string().min(1),
    secret: z.string(),
    name: z.string().optional(),
    description: z.string().optional(),
    enabled: boolish.optional(),
    concurrency_limit: numberish(z.number().int().min(0)).optional(),
    priority: numberish(z.number().int()).optional(),
    queue_timeout: numberish(z.number().min(0).nullable()).optional(),
    ...keyLimitFields,
  })
  .loose();

const concurrencySchema = z
  .object({
    concurrency_limit: numberish(z.number().int().min(0)).optional(),
    priority: numberish(z.number().int()).optional(),
    queue_timeout: numberish(z.number().min(0).nullable()).optional(),
  })
  .loose();

const keyDefaultsSchema = concurrencySchema.extend(keyLimitFields);

export const configSchema = z
  .object({
    model_list: z.array(z.unknown()).default([]),
    router_settings: z
      .object({
        num_retries: numberish(z.number().int().min(0).max(10)).optional(),
        // `- a: b` names one fallback, as yaLLMproxy read it.
        fallbacks: z.array(z.record(z.string(), z.union([z.array(z.string()), z.string().transform((s) => [s])]))).optional(),
        /** First retry delay; doubles per retry up to retry_max_delay_ms. */
        retry_base_delay_ms: z.number().int().min(0).optional(),
        retry_max_delay_ms: z.number().int().min(0).optional(),
        routing_strategy: routingStrategySchema.optional(),
        /** Failures a deployment may have in a minute before it is cooled down. */
        allowed_fails: z.number().int().min(0).optional(),
        /** First cooldown; doubles each time a deployment fails again right after one, up to max_cooldown_seconds. */
        cooldown_seconds: z.number().positive().optional(),
        max_cooldown_seconds: z.number().positive().optional(),
        session_affinity: z
          .object({
            enabled: z.boolean().optional(),
            /** A request header naming the conversation, besides the ones read by default. */
            header: z.string().min(1).optional(),
            ttl_seconds: z.number().positive().optional(),
            max_entries: z.number().int().min(1).optional(),
          })
          .strict()
          .optional(),
      })
      .loose()
      .optional(),
    proxy_settings: z
      .object({
        server: z
          .object({
            host: z.string().optional(),
            port: numberish(z.number().int().min(0).max(65535)).optional(),
            body_limit_mb: positiveNumber.optional(),
            /** Time a client has to send its request headers. */
            header_timeout_seconds: positiveNumber.optional(),
            /** Time a client has to send its whole request, body included (answers may stream for longer). */
            body_timeout_seconds: positiveNumber.optional(),
            /** Connections open at once from one client address; 0 = no cap. */
            max_connections_per_ip: z.number().int().min(0).optional(),
            /** Origins besides the proxy's own from which the admin session cookie is accepted. */
            admin_origins: z.array(z.string().url()).optional(),
            /** On SIGTERM, how long requests in flight may finish before their streams are ended. */
            shutdown_grace_seconds: z.number().min(0).optional(),
            /** Deepest nesting of objects and arrays a request body may have. */
            max_json_depth: z.number().int().min(8).max(1000).optional(),
          })
          .loose()
          .optional(),
        enable_responses_endpoint: boolish.optional(),
        enable_messages_endpoint: boolish.optional(),
        /** WebSocket mode on `GET /v1/responses`; off, the upgrade gets 426 and clients use HTTP. */
        enable_responses_websocket: boolish.optional(),
        /** yaLLMproxy's debug switch: the log level `debug` unless `logging.level` says otherwise. */
        debug: boolish.optional(),
        responses: z
          .object({
            websocket: z
              .object({
                max_frame_mb: positiveNumber.optional(),
                idle_timeout_seconds: positiveNumber.optional(),
                max_connection_minutes: positiveNumber.optional(),
                max_turns: z.number().int().min(1).optional(),
                chain_max_mb: positiveNumber.optional(),
                chain_max_turns: z.number().int().min(1).optional(),
              })
              .strict()
              .optional(),
            /** Most items a `/v1/responses` `input` array may hold. */
            max_input_items: z.number().int().min(1).optional(),
            /** How a translated backend's raw reasoning reaches Responses clients. */
            reasoning: z.enum(["summary", "content", "both"]).optional(),
            state: z
              .object({
                persistence: z.enum(["database", "memory"]).optional(),
                max_memory_entries: z.number().int().min(1).optional(),
                /** Bytes of stored responses held in memory (their JSON length), over the database. */
                max_memory_bytes: z.number().int().min(1).optional(),
                ttl_seconds: z.number().int().min(1).optional(),
                cleanup_interval_seconds: z.number().int().min(1).optional(),
                /** Store what pass-through Responses backends answer, so any backend can continue the chain. */
                capture_passthrough: z.boolean().optional(),
              })
              .strict()
              .optional(),
          })
          .loose()
          .optional(),
        traces: z
          .object({
            capture: z.enum(["off", "metadata", "full"]).optional(),
            max_body_bytes: z.number().int().min(1024).optional(),
            max_events: z.number().int().min(1).optional(),
            retention_hours: z.number().positive().optional(),
            queue_size: z.number().int().min(1).optional(),
            batch_size: z.number().int().min(1).optional(),
            flush_interval_ms: z.number().int().min(10).optional(),
          })
          .strict()
          .optional(),
        usage: usageSettingsSchema.optional(),
        rate_limits: rateLimitSettingsSchema.optional(),
        /** Seconds between `event: ping` frames while an upstream is silent (Anthropic clients). */
        messages_ping_interval_seconds: z.number().positive().optional(),
        logging: z
          .object({
            level: z.string().optional(),
            full_request_storage: z.object({ enabled: boolish.optional(), retention_hours: positiveNumber.optional() }).loose().optional(),
          })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
    app_keys: z
      .object({
        enabled: boolish.optional(),
        header_name: z.string().optional(),
        allow_unauthenticated: boolish.optional(),
        keys: z.array(keySchema).optional(),
        defaults: keyDefaultsSchema.optional(),
        unauthenticated: concurrencySchema.optional(),
      })
      .loose()
      .optional(),
    database: z.unknown().optional(),
  })
  .loose();

export type RawModelEntry = z.infer<typeof modelEntrySchema>;
export type MockOptions = z.infer<typeof mockOptionsSchema>;
