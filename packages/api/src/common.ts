// Shapes every part of the admin API shares: errors, pages, ids.

import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Nullable } from "./schema-kit.js";

/** `{"error":{message,type,param,code}}`: every admin error, and OpenAI-format errors of the proxy. */
export const ErrorBody = Type.Object({
  error: Type.Object({ message: Type.String(), type: Type.String(), param: Nullable(Type.String()), code: Nullable(Type.String()) }),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** A page of a list, newest first; `next_cursor` asks for the next one. */
export const Page = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) });
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export const Ok = Type.Object({ ok: Type.Literal(true) });

/** Query parameters arrive as text; the handlers check their values and name the bad one. */
export const QueryText = Type.Optional(Type.String());

export const IdParams = Type.Object({ id: Type.String() });
export type IdParams = Static<typeof IdParams>;
