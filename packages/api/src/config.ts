// The running config, its versions and rollback (docs/admin-api.md, "Config").

import { type Static, Type } from "@sinclair/typebox";
import { ErrorBody } from "./common.js";
import { Nullable } from "./schema-kit.js";

export const RunningConfig = Type.Object({
  /** The config text with literal secrets shown as `***`. */
  yaml: Type.String(),
  /** Null when no database keeps versions. */
  version: Nullable(Type.Integer()),
  path: Type.String(),
});
export type RunningConfig = Static<typeof RunningConfig>;

export const ConfigProblem = Type.Object({
  path: Type.String(),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  /** From `POST` / `PUT /admin/models`: the problem's path inside the entry sent, when it lies there (`model_params.api_base`). */
  field: Type.Optional(Type.String()),
});
export type ConfigProblem = Static<typeof ConfigProblem>;

/** A change that does not validate: the error, and every problem with the line it points at. */
export const ConfigInvalid = Type.Object({ ...ErrorBody.properties, errors: Type.Array(ConfigProblem) });
export type ConfigInvalid = Static<typeof ConfigInvalid>;

export const ConfigText = Type.Object({
  yaml: Type.String(),
  /** Who made the change, for the version list; `admin` when absent. */
  author: Type.Optional(Type.String()),
});
export type ConfigText = Static<typeof ConfigText>;

/** `POST /admin/config/validate`: a draft that does not validate is an answer too (200). */
export const ValidationAnswer = Type.Union([
  Type.Object({ valid: Type.Literal(true), warnings: Type.Array(Type.String()), models: Type.Array(Type.String()) }),
  Type.Object({ valid: Type.Literal(false), ...ConfigInvalid.properties }),
]);
export type ValidationAnswer = Static<typeof ValidationAnswer>;

/** What applying a change answers; the models and keys calls add what they made or removed. */
export const ConfigApplied = Type.Object({
  version: Nullable(Type.Integer()),
  warnings: Type.Array(Type.String()),
  deleted: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  /** The deployment a deployments call added or removed. */
  deployment: Type.Optional(Type.String()),
  key_id: Type.Optional(Type.String()),
  /** A generated key secret: shown in this answer only. */
  secret: Type.Optional(Type.String()),
  /** yaLLMproxy's `"ok"` and sentence, for its clients. */
  status: Type.Optional(Type.Literal("ok")),
  message: Type.Optional(Type.String()),
});
export type ConfigApplied = Static<typeof ConfigApplied>;

export const ConfigVersionSummary = Type.Object({
  version: Type.Integer(),
  createdAt: Type.String(),
  author: Type.String(),
  summary: Type.String(),
});
export type ConfigVersionSummary = Static<typeof ConfigVersionSummary>;

export const ConfigVersion = Type.Object({
  ...ConfigVersionSummary.properties,
  yaml: Type.String(),
  /** Unified diff against the version before it, secrets masked. */
  diff: Type.String(),
});
export type ConfigVersion = Static<typeof ConfigVersion>;

export const ConfigVersionList = Type.Object({ data: Type.Array(ConfigVersionSummary) });

export const VersionParams = Type.Object({ version: Type.String({ pattern: "^\\d{1,9}$" }) });

export const RollbackBody = Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }) });
