// Stored responses of the Responses API and their chains (docs/admin-api.md, "Stored responses").

import { type Static, Type } from "@sinclair/typebox";
import { QueryText } from "./common.js";
import { Nullable, OpenObject, StringEnum } from "./schema-kit.js";

/** An input or output item of the Responses API; every kind is kept whole. */
export const ResponseItem = OpenObject({
  type: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
  content: Type.Optional(Type.Unknown()),
});
export type ResponseItem = Static<typeof ResponseItem>;

/** A Response object as the client received it; the fields named here are the ones the dashboard reads. */
export const ResponseObject = OpenObject({
  id: Type.String(),
  model: Type.String(),
  status: Type.Optional(Type.String()),
  instructions: Type.Optional(Nullable(Type.String())),
  output: Type.Optional(Type.Array(ResponseItem)),
  usage: Type.Optional(
    Nullable(
      OpenObject({ input_tokens: Type.Optional(Type.Number()), output_tokens: Type.Optional(Type.Number()), total_tokens: Type.Optional(Type.Number()) }),
    ),
  ),
  metadata: Type.Optional(Nullable(Type.Record(Type.String(), Type.String()))),
  previous_response_id: Type.Optional(Nullable(Type.String())),
});
export type ResponseObject = Static<typeof ResponseObject>;

export const StoredResponseSummary = Type.Object({
  id: Type.String(),
  model: Type.String(),
  keyId: Nullable(Type.String()),
  status: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  previousResponseId: Nullable(Type.String()),
  /** The start of the answer's text, or the tool it called. */
  preview: Type.String(),
});
export type StoredResponseSummary = Static<typeof StoredResponseSummary>;

export const ChainLink = Type.Object({ id: Type.String(), model: Type.String(), createdAt: Type.String(), status: Type.String() });
export type ChainLink = Static<typeof ChainLink>;

export const StoredResponseDetail = Type.Object({
  response: ResponseObject,
  inputItems: Type.Array(ResponseItem),
  keyId: Nullable(Type.String()),
  backend: Type.String(),
  /** The chain ending at this response, oldest first. */
  chain: Type.Array(ChainLink),
  /** Responses that continue from this one. */
  children: Type.Array(Type.String()),
});
export type StoredResponseDetail = Static<typeof StoredResponseDetail>;

/** `GET /admin/responses`: `q` searches the items' text; `from`/`to` are ISO date-times. */
export const ResponseListQuery = Type.Object({
  q: QueryText,
  model: QueryText,
  key: QueryText,
  from: QueryText,
  to: QueryText,
  limit: QueryText,
  cursor: QueryText,
});
export type ResponseListQuery = Static<typeof ResponseListQuery>;

export const ReplayBody = Type.Object({
  responseId: Type.String(),
  model: Type.String({ minLength: 1 }),
  /** `turn` replays this response alone; `chain` every turn up to it. */
  mode: Type.Optional(StringEnum(["turn", "chain"])),
});
export type ReplayBody = Static<typeof ReplayBody>;
