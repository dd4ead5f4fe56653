// Signing in to the admin API (docs/admin-api.md, "Authentication").

import { type Static, Type } from "@sinclair/typebox";
import { Types } from "./schema-kit.js";

export const LoginBody = Type.Object({ password: Type.String() });
export type LoginBody = Static<typeof LoginBody>;

export const SessionState = Type.Object({ authenticated: Type.Literal(true) });

/** `GET /admin/status`: whether the admin API is on (needs no credential). */
export const AdminStatus = Type.Object({ enabled: Type.Boolean() });
export type AdminStatus = Static<typeof AdminStatus>;

/** `GET /admin/ws?token=`: the password, for WebSocket clients that cannot send a header (repeated, it is refused as no token). */
export const LiveFeedQuery = Type.Object({
  token: Type.Optional(Types<string | string[]>(["string", "array"], { items: { type: "string" } })),
});
