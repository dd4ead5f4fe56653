// Models and app keys as the admin API lists and edits them (docs/admin-api.md, "Models and keys").

import { type Static, Type } from "@sinclair/typebox";
import { AnyObject, Nullable, OpenObject, Types } from "./schema-kit.js";
import { CaptureLevel } from "./traces.js";

export const ModelInfo = Type.Object({
  name: Type.String(),
  apiType: Type.String(),
  /** Credentials in the URL are masked. */
  apiBase: Type.String(),
  upstreamModel: Type.String(),
  extends: Nullable(Type.String()),
  children: Type.Array(Type.String()),
  /** Models tried after this one fails (router_settings.fallbacks). */
  fallbacks: Type.Array(Type.String()),
  protected: Type.Boolean(),
  allowedKeys: Types<string[] | "all" | "none">(["array", "string"], { items: { type: "string" } }),
  traceCapture: CaptureLevel,
  /** Response modules run on this model's answers, in order (`parse_tags`, `swap_reasoning_content`). */
  responseModules: Type.Array(Type.String()),
});
export type ModelInfo = Static<typeof ModelInfo>;

export const ModelList = Type.Object({
  data: Type.Array(ModelInfo),
  /** yaLLMproxy's shape of the same: each entry with what it inherits merged in, secrets `***`, split by `protected`. */
  protected: Type.Array(AnyObject),
  unprotected: Type.Array(AnyObject),
});

export const KeyInfo = Type.Object({
  keyId: Type.String(),
  name: Nullable(Type.String()),
  enabled: Type.Boolean(),
  concurrencyLimit: Nullable(Type.Integer()),
  priority: Nullable(Type.Integer()),
  /** Seconds. */
  queueTimeout: Nullable(Type.Number()),
  /** The key's own limits as its entry sets them (null: none, or `app_keys.defaults`'). */
  rpmLimit: Nullable(Type.Number()),
  tpmLimit: Nullable(Type.Number()),
  maxBudget: Nullable(Type.Number()),
  budgetDuration: Nullable(Type.String()),
});
export type KeyInfo = Static<typeof KeyInfo>;

export const KeyList = Type.Object({
  /** Whether app_keys is on. */
  enabled: Type.Boolean(),
  data: Type.Array(KeyInfo),
  /** yaLLMproxy's shape of the same: the settings, and the entries as written (no secret). */
  header_name: Type.String(),
  allow_unauthenticated: Type.Boolean(),
  keys: Type.Array(OpenObject({ key_id: Type.String() })),
});
export type KeyList = Static<typeof KeyList>;

/** A `model_list` entry as the config file has it; the config loader checks the rest. */
export const ModelEntry = OpenObject({ model_name: Type.String({ minLength: 1 }), model_params: Type.Optional(Type.Unknown()) });
export type ModelEntry = Static<typeof ModelEntry>;

/** `PUT /admin/models/:name`: the entry without its name (the path names it). */
export const ModelUpdate = OpenObject({ model_params: Type.Optional(Type.Unknown()) });

export const ModelParams = Type.Object({ name: Type.String() });

/** `GET /admin/models/:name`: the model's (first) `model_list` entry as the file has it, secrets masked. */
export const ModelDetail = Type.Object({
  name: Type.String(),
  protected: Type.Boolean(),
  /** Literal secrets read `***` (send them back as they are to keep them); `${VAR}` references stay visible. */
  entry: ModelEntry,
});
export type ModelDetail = Static<typeof ModelDetail>;

export const ModelCopyQuery = Type.Object({ source: Type.Optional(Type.String()), target: Type.Optional(Type.String()) });

/** An `app_keys.keys` entry; a missing `secret` is generated and shown once. */
export const KeyEntry = OpenObject({
  /** Generated (`key-<12 hex>`) when absent, as yaLLMproxy does. */
  key_id: Type.Optional(Type.String({ pattern: "^[\\w.:-]{1,64}$" })),
  secret: Type.Optional(Type.String({ minLength: 1 })),
});
export type KeyEntry = Static<typeof KeyEntry>;
