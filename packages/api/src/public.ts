// The proxy's own answers outside /admin: its status, its health and the OpenAI-style lists.

import { type Static, Type } from "@sinclair/typebox";
import { Nullable, OpenObject, StringEnum } from "./schema-kit.js";
import { ResponseItem } from "./stored-responses.js";

export const RootStatus = Type.Object({ name: Type.String(), status: Type.Literal("ok") });

export const Health = Type.Object({
  status: Type.Literal("ok"),
  /** Models configured. */
  models: Type.Integer(),
  database: StringEnum(["ok", "unreachable", "none"]),
});
export type Health = Static<typeof Health>;

/** `GET /v1/models`: the models the caller's key may use. */
export const OpenAIModelList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(Type.Object({ id: Type.String(), object: Type.Literal("model"), created: Type.Integer(), owned_by: Type.String() })),
});

/** A Response object of the Responses API, kept and answered whole (the proxy stores it as a record). */
export const ResponseAnswer = Type.Unsafe<Record<string, unknown>>(OpenObject({ id: Type.String() }));

export const ResponseDeleted = Type.Object({ id: Type.String(), object: Type.Literal("response"), deleted: Type.Literal(true) });

export const InputItemsQuery = Type.Object({
  limit: Type.Optional(Type.String()),
  order: Type.Optional(Type.String()),
  after: Type.Optional(Type.String()),
});
export type InputItemsQuery = Static<typeof InputItemsQuery>;

export const InputItemList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(ResponseItem),
  first_id: Nullable(Type.String()),
  last_id: Nullable(Type.String()),
  has_more: Type.Boolean(),
});

/** `GET /metrics`: Prometheus text exposition, written as it is (not JSON). */
export const MetricsText = Type.String();

/** A path under `/dashboard/`: a built file, or a client route that gets index.html. */
export const DashboardPathParams = Type.Object({ "*": Type.String() });
