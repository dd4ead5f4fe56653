// The usage ledger and what is left of limits: `GET /admin/usage`, `GET /admin/keys/:id/usage` and
// a key owner's own `GET /v1/usage` (README, "Usage and limits").

import { type Static, Type } from "@sinclair/typebox";
import { QueryText } from "./common.js";
import { Nullable } from "./schema-kit.js";

export const UsageQuery = Type.Object({
  /** ISO date-times; default the last 24 hours. */
  from: QueryText,
  to: QueryText,
  /** Comma-separated: any of key, model, backend (default all three; empty for totals per period). */
  group_by: QueryText,
  /** `hour` (default) or `day` (UTC days). */
  granularity: QueryText,
  /** `json` (default) or `csv`. */
  format: QueryText,
  /** Only this key's usage (admin only). */
  key: QueryText,
});
export type UsageQuery = Static<typeof UsageQuery>;

export const UsageRow = Type.Object({
  /** Start of the hour or day (ISO, UTC). */
  period: Type.String(),
  /** Present when grouped by it; null for requests without an app key (or no backend). */
  key: Type.Optional(Nullable(Type.String())),
  model: Type.Optional(Type.String()),
  backend: Type.Optional(Nullable(Type.String())),
  requests: Type.Integer(),
  errors: Type.Integer(),
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  cached_tokens: Type.Integer(),
  cache_write_tokens: Type.Integer(),
  reasoning_tokens: Type.Integer(),
  /** USD of the priced requests; see `unpriced_requests`. */
  cost_usd: Type.Number(),
  /** Requests whose model has no price: their tokens are counted, their cost is not in cost_usd. */
  unpriced_requests: Type.Integer(),
  tool_calls: Type.Integer(),
  /** Successful requests by how their answer ended (stop, length, tool_calls, content_filter, refusal, error, other). */
  stop_reasons: Type.Record(Type.String(), Type.Integer()),
  avg_latency_ms: Nullable(Type.Number()),
  avg_ttft_ms: Nullable(Type.Number()),
  /** Output tokens per second of request time. */
  tokens_per_second: Nullable(Type.Number()),
});
export type UsageRow = Static<typeof UsageRow>;

export const UsageList = Type.Object({
  data: Type.Array(UsageRow),
  from: Type.String(),
  to: Type.String(),
  granularity: Type.String(),
  group_by: Type.Array(Type.String()),
});
export type UsageList = Static<typeof UsageList>;

const LimitLeft = Nullable(
  Type.Object({
    limit: Type.Integer(),
    used: Type.Integer(),
    remaining: Type.Integer(),
    /** Milliseconds until the window (a minute) resets; null when nothing was counted in it. */
    reset_ms: Nullable(Type.Number()),
  }),
);

export const KeyLimitStatus = Type.Object({
  rpm: LimitLeft,
  tpm: LimitLeft,
  budget: Nullable(
    Type.Object({
      max_usd: Type.Number(),
      spent_usd: Type.Number(),
      remaining_usd: Type.Number(),
      /** The budget's period in seconds (`budget_duration`). */
      duration: Type.Number(),
      reset_ms: Nullable(Type.Number()),
    }),
  ),
  model_limits: Type.Record(Type.String(), Type.Object({ rpm: LimitLeft, tpm: LimitLeft })),
});
export type KeyLimitStatus = Static<typeof KeyLimitStatus>;

/** One key's usage over the asked period (by model), and what is left of its limits now. */
export const KeyUsage = Type.Object({
  key: Type.String(),
  from: Type.String(),
  to: Type.String(),
  /** Totals per model over the period. */
  usage: Type.Array(UsageRow),
  limits: KeyLimitStatus,
});
export type KeyUsage = Static<typeof KeyUsage>;

/** The CSV form of `UsageList` (`format=csv`), written as it is. */
export const UsageCsv = Type.String();
