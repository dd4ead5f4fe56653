// The router's view of every model group's deployments (docs/admin-api.md, "Deployments"), and the
// calls that add a deployment to a group or remove one.

import { type Static, Type } from "@sinclair/typebox";
import { Nullable, OpenObject, StringEnum } from "./schema-kit.js";

/** `cooling`: out of the rotation until `cooldownUntil`; `half_open`: its cooldown is over and one probe decides. */
export const DeploymentHealth = StringEnum(["healthy", "cooling", "half_open"] as const);
export type DeploymentHealth = Static<typeof DeploymentHealth>;

export const DeploymentStatus = Type.Object({
  id: Type.String(),
  apiType: Type.String(),
  /** The API base's host (and port) only: no path, no credential. */
  host: Type.String(),
  upstreamModel: Type.String(),
  weight: Type.Number(),
  state: DeploymentHealth,
  /** Why it left the rotation (`failures`, `retry_after`, `probe_failed`, `shared`), while it is out. */
  coolReason: Nullable(Type.String()),
  /** ISO time the cooldown ends, while `cooling`. */
  cooldownUntil: Nullable(Type.String()),
  inFlight: Type.Integer(),
  /** Peak-EWMA of the time to response headers; null before the first answer. */
  latencyMs: Nullable(Type.Number()),
  /** Since the proxy started; failures are what counts against its health (connect errors, timeouts, 408, 429, 5xx). */
  requests: Type.Integer(),
  failures: Type.Integer(),
  cooldowns: Type.Integer(),
  /** Its part (0–1) of the group's requests over about the last minute; null when the group had none. */
  share: Nullable(Type.Number()),
});
export type DeploymentStatus = Static<typeof DeploymentStatus>;

export const DeploymentGroup = Type.Object({
  model: Type.String(),
  strategy: Type.String(),
  deployments: Type.Array(DeploymentStatus),
});
export type DeploymentGroup = Static<typeof DeploymentGroup>;

export const DeploymentList = Type.Object({
  /** This replica's clock when it answered. */
  serverTime: Type.String(),
  data: Type.Array(DeploymentGroup),
});
export type DeploymentList = Static<typeof DeploymentList>;

/** `POST /admin/models/:name/deployments`: a `model_list` entry; its `model_name`, if given, is the path's. */
export const DeploymentEntry = OpenObject({ model_name: Type.Optional(Type.String()), model_params: Type.Optional(Type.Unknown()) });
export type DeploymentEntry = Static<typeof DeploymentEntry>;

export const DeploymentParams = Type.Object({ name: Type.String(), id: Type.String() });
