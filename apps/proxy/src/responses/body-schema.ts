// The body `POST /v1/responses` and a WebSocket's `response.create` event take (the event minus its `type`).

import { Type } from "@sinclair/typebox";
import { AnyObject, Nullable, StringEnum, Types } from "@yallmproxy/api";

/** A Responses create body, as `POST /v1/responses` and a WebSocket's `response.create` take it. */
export const responsesBodySchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Optional(Types<string | unknown[]>(["string", "array"])),
  instructions: Type.Optional(Nullable(Type.String())),
  stream: Type.Optional(Nullable(Type.Boolean())),
  store: Type.Optional(Nullable(Type.Boolean())),
  background: Type.Optional(Nullable(Type.Boolean())),
  previous_response_id: Type.Optional(Nullable(Type.String())),
  tools: Type.Optional(Type.Array(AnyObject)),
  tool_choice: Type.Optional(Types<string | Record<string, unknown>>(["string", "object"])),
  parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
  max_output_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  max_tool_calls: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
  top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
  top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
  reasoning: Type.Optional(Nullable(AnyObject)),
  text: Type.Optional(Nullable(AnyObject)),
  metadata: Type.Optional(Nullable(AnyObject)),
  include: Type.Optional(Nullable(Type.Array(Type.String()))),
  truncation: Type.Optional(Nullable(StringEnum(["auto", "disabled"]))),
  user: Type.Optional(Type.String()),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
  context_management: Type.Optional(
    Nullable(Type.Array(Type.Object({ type: Type.String(), compact_threshold: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))) }))),
  ),
});
