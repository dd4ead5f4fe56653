// The models and keys calls yaLLMproxy's admin API has, in its request and answer shapes
// (docs/admin-api.md, "As yaLLMproxy"): answers carry its `status`, `message` and fields beside
// this proxy's `version` and `warnings`.

import { type Static, Type } from "@sinclair/typebox";
import { ErrorBody } from "./common.js";
import { ConfigApplied, ConfigProblem } from "./config.js";
import { AnyObject, Nullable, OpenObject } from "./schema-kit.js";

const Status = { status: Type.Literal("ok") };

/** `POST /admin/models` answer: yaLLMproxy's register answer beside the version. */
export const ModelSaved = Type.Object({
  ...ConfigApplied.properties,
  ...Status,
  model: Type.String(),
  /** Whether an entry of that name was replaced (yaLLMproxy's upsert). */
  replaced: Type.Boolean(),
  fallbacks: Type.Array(Type.String()),
  protected: Type.Boolean(),
});
export type ModelSaved = Static<typeof ModelSaved>;

export const ModelDeleteQuery = Type.Object({ cascade: Type.Optional(Type.String()) });

/** `DELETE /admin/models/:name`: `deleted` the name asked for, `deleted_models` all (with `cascade`). */
export const ModelsDeleted = Type.Object({
  ...ConfigApplied.properties,
  ...Status,
  message: Type.String(),
  deleted_models: Type.Array(Type.String()),
});
export type ModelsDeleted = Static<typeof ModelsDeleted>;

/** 409: the model has models that extend it, and `cascade` was not asked for. */
export const ModelHasDependents = Type.Object({
  ...ErrorBody.properties,
  /** Each dependent's `extends`, as a config problem (what the dashboard shows at its path). */
  errors: Type.Array(ConfigProblem),
  dependents: Type.Array(Type.String()),
  hint: Type.String(),
});
export type ModelHasDependents = Static<typeof ModelHasDependents>;

export const ModelTreeNode = Type.Object({
  /** The entry as the file has it (without `extends`), secrets masked as `***`. */
  config: AnyObject,
  parent: Nullable(Type.String()),
  children: Type.Array(Type.String()),
  protected: Type.Boolean(),
  editable: Type.Boolean(),
});
export const ModelTree = Type.Object({ roots: Type.Array(Type.String()), nodes: Type.Record(Type.String(), ModelTreeNode) });
export type ModelTree = Static<typeof ModelTree>;

export const ModelAncestry = Type.Object({ model: Type.String(), chain: Type.Array(Type.String()), inheritance_depth: Type.Integer() });
export type ModelAncestry = Static<typeof ModelAncestry>;

export const ModelDependents = Type.Object({
  model: Type.String(),
  direct_children: Type.Array(Type.String()),
  all_descendants: Type.Array(Type.String()),
  descendant_count: Type.Integer(),
});
export type ModelDependents = Static<typeof ModelDependents>;

export const ConfigReloaded = Type.Object({ ...ConfigApplied.properties, ...Status, message: Type.String(), models_count: Type.Integer() });
export type ConfigReloaded = Static<typeof ConfigReloaded>;

/** An `app_keys.keys` entry as the file has it, without its secret. */
export const KeyConfigEntry = OpenObject({ key_id: Type.String(), enabled: Type.Boolean() });
export type KeyConfigEntry = Static<typeof KeyConfigEntry>;

const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
const Clearable = <T extends Parameters<typeof Nullable>[0]>(t: T) => Type.Optional(Nullable(t));

/** `PUT /admin/keys/:id`: the fields given change (null removes one); the secret is regenerate's. */
export const KeyUpdate = Type.Object(
  {
    name: Clearable(Type.String({ maxLength: 200 })),
    description: Clearable(Type.String({ maxLength: 2000 })),
    enabled: Type.Optional(Type.Boolean()),
    concurrency_limit: Clearable(Count),
    priority: Clearable(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
    queue_timeout: Clearable(Type.Number({ minimum: 0, maximum: 86_400 })),
    rpm_limit: Clearable(Count),
    tpm_limit: Clearable(Count),
    max_budget: Clearable(Type.Number({ minimum: 0, maximum: 1e12 })),
    budget_duration: Clearable(Type.String({ maxLength: 16 })),
    model_limits: Clearable(Type.Record(Type.String({ maxLength: 200 }), AnyObject, { maxProperties: 1000 })),
  },
  { additionalProperties: false },
);
export type KeyUpdate = Static<typeof KeyUpdate>;

export const KeySaved = Type.Object({ ...ConfigApplied.properties, ...Status, key: KeyConfigEntry });
export type KeySaved = Static<typeof KeySaved>;

/** `POST /admin/keys/:id/regenerate`: the new secret, shown in this answer only. */
export const KeySecret = Type.Object({ ...ConfigApplied.properties, ...Status, key_id: Type.String(), secret: Type.String(), message: Type.String() });
export type KeySecret = Static<typeof KeySecret>;

export const KeysConfigBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    header_name: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9-]{1,64}$" })),
    allow_unauthenticated: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type KeysConfigBody = Static<typeof KeysConfigBody>;

export const KeysConfigAnswer = Type.Object({
  ...ConfigApplied.properties,
  ...Status,
  enabled: Type.Boolean(),
  header_name: Type.String(),
  allow_unauthenticated: Type.Boolean(),
});
export type KeysConfigAnswer = Static<typeof KeysConfigAnswer>;

/** `POST /admin/models`: a `model_list` entry, or yaLLMproxy's register payload (flat or nested). */
export const ModelRegister = OpenObject({ model_name: Type.Optional(Type.String({ minLength: 1 })), name: Type.Optional(Type.String({ minLength: 1 })) });
