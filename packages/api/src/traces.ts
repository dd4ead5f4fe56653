// Traces: one per client request (docs/admin-api.md, "Traces").

import { type Static, Type } from "@sinclair/typebox";
import { QueryText } from "./common.js";
import { Json, Nullable, StringEnum, Types } from "./schema-kit.js";
import { WireFormatSchema } from "./wire-format.js";

export const CaptureLevel = StringEnum(["off", "metadata", "full"]);
export type CaptureLevel = Static<typeof CaptureLevel>;

const summaryFields = {
  id: Type.String(),
  startedAt: Type.String(),
  model: Type.String(),
  keyId: Nullable(Type.String()),
  clientFormat: WireFormatSchema,
  backend: Nullable(Type.String()),
  backendFormat: Nullable(WireFormatSchema),
  stream: Type.Boolean(),
  /** The HTTP status the client got (499: it left); null while running. */
  status: Nullable(Type.Integer()),
  state: StringEnum(["running", "finished"]),
  error: Nullable(Type.String()),
  ttftMs: Nullable(Type.Number()),
  durationMs: Nullable(Type.Number()),
  promptTokens: Nullable(Type.Integer()),
  completionTokens: Nullable(Type.Integer()),
  warnings: Type.Integer(),
  /** How the answer ended (`stop`, `length`, `tool_calls`, …) where the proxy saw it; null otherwise. */
  finishReason: Nullable(Type.String()),
  /** Tool calls the answer made (a relayed answer that asks for tools counts once). */
  toolCalls: Type.Integer(),
};

export const TraceSummary = Type.Object({
  ...summaryFields,
  attempts: Type.Integer(),
  /** Only on live rows: what the last `request.progress` said. */
  progress: Type.Optional(Type.Object({ chunks: Type.Integer(), completionTokens: Nullable(Type.Integer()), elapsedMs: Type.Number() })),
});
export type TraceSummary = Static<typeof TraceSummary>;

export const AttemptOutcome = StringEnum(["retry", "fallback", "answered", "gave_up"]);
export type AttemptOutcome = Static<typeof AttemptOutcome>;

export const TraceAttempt = Type.Object({
  backend: Type.String(),
  attempt: Type.Integer(),
  status: Type.Optional(Nullable(Type.Integer())),
  error: Type.Optional(Nullable(Type.String())),
  /** An AttemptOutcome; a string, so that a new outcome still shows. */
  outcome: Type.String(),
  durationMs: Type.Number(),
  /** Why the router picked this deployment: `affinity`, `affinity_moved`, `retry`, or the group's strategy. */
  reason: Type.Optional(Type.String()),
  /** The cooldown this failure started: `failures`, `retry_after`, `probe_failed`. */
  cooled: Type.Optional(Type.String()),
  /** Deployments of the group passed over for this attempt, and why (`cooling`, `over_caps`, `not_allowed`). */
  skipped: Type.Optional(Type.Array(Type.Object({ deployment: Type.String(), why: Type.String() }))),
});
export type TraceAttempt = Static<typeof TraceAttempt>;

export const TraceEvent = Type.Object({
  /** Milliseconds since the request was received. */
  t: Type.Number(),
  data: Type.String(),
});
export type TraceEvent = Static<typeof TraceEvent>;

/** One translation warning; `code` groups them (`field_dropped`, `content_dropped`, …). */
export const TraceWarning = Type.Object({ code: Type.String(), path: Type.String(), message: Type.String() });
export type TraceWarning = Static<typeof TraceWarning>;

/** `GET /admin/traces/:id`: the summary, with `attempts` as the list of attempts instead of a count. */
export const TraceDetail = Type.Object({
  ...summaryFields,
  attempts: Type.Array(TraceAttempt),
  /** The client's own session id (`x-claude-code-session-id`); absent on traces written before it was kept. */
  sessionId: Type.Optional(Nullable(Type.String())),
  timings: Nullable(
    Type.Object({
      receivedAt: Type.String(),
      upstreamConnectedMs: Nullable(Type.Number()),
      firstByteMs: Nullable(Type.Number()),
      firstTokenMs: Nullable(Type.Number()),
      doneMs: Nullable(Type.Number()),
    }),
  ),
  /** Header values as sent (a repeated header is a list), credentials cut out. */
  clientRequest: Nullable(Type.Object({ headers: Type.Record(Type.String(), Types<string | string[]>(["string", "array"])), body: Json })),
  upstreamRequest: Nullable(Type.Object({ url: Type.String(), body: Json })),
  upstreamEvents: Type.Array(TraceEvent),
  clientEvents: Type.Array(TraceEvent),
  /** Traces written before warnings had codes hold their `path: message` text. */
  warningList: Type.Array(Type.Union([TraceWarning, Type.String()])),
  captureLevel: CaptureLevel,
  truncated: Type.Object({ clientRequest: Type.Boolean(), upstreamRequest: Type.Boolean(), upstreamEvents: Type.Boolean(), clientEvents: Type.Boolean() }),
});
export type TraceDetail = Static<typeof TraceDetail>;

/**
 * `GET /admin/traces`: `status` is `ok` (<400), `error` (≥400) or a status; `client` a wire format;
 * `from` / `to` ISO date-times (from inclusive, to exclusive); `finish` a finish reason; `tools`
 * `true` (answers that called tools) or `false`; `q` words all found in the captured detail.
 */
export const TraceListQuery = Type.Object({
  model: QueryText,
  key: QueryText,
  status: QueryText,
  client: QueryText,
  backend: QueryText,
  finish: QueryText,
  tools: QueryText,
  from: QueryText,
  to: QueryText,
  q: QueryText,
  limit: QueryText,
  cursor: QueryText,
});
export type TraceListQuery = Static<typeof TraceListQuery>;
