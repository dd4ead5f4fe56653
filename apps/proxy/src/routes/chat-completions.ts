// `POST /v1/chat/completions`: OpenAI Chat Completions clients, on any backend.

import { Type } from "@sinclair/typebox";
import { AnyObject, Nullable, StringEnum, Types } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { type TranslationWarning, codecs } from "@yallmproxy/translate";
import { ProxyError } from "../errors.js";
import { typed } from "../http/schema.js";
import { proxyRequest } from "../pipeline/proxy-request.js";
import { createCrossFormatHandler, lazyDecoder } from "../pipeline/translation.js";

/** Top-level fields are type-checked here; unknown fields pass through to the upstream. */
export const chatCompletionsBodySchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(
    Type.Object({
      role: StringEnum(["system", "developer", "user", "assistant", "tool", "function"]),
      content: Type.Optional(Types<string | unknown[] | null>(["string", "array", "null"])),
      tool_calls: Type.Optional(Types<unknown[] | null>(["array", "null"])),
      tool_call_id: Type.Optional(Type.String()),
      name: Type.Optional(Type.String()),
    }),
    { minItems: 1 },
  ),
  stream: Type.Optional(Nullable(Type.Boolean())),
  stream_options: Type.Optional(Nullable(AnyObject)),
  n: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 128 }))),
  temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
  top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
  max_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  max_completion_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  stop: Type.Optional(Types<string | unknown[] | null>(["string", "array", "null"])),
  presence_penalty: Type.Optional(Nullable(Type.Number())),
  frequency_penalty: Type.Optional(Nullable(Type.Number())),
  seed: Type.Optional(Nullable(Type.Integer())),
  user: Type.Optional(Type.String()),
  tools: Type.Optional(Type.Array(AnyObject)),
  tool_choice: Type.Optional(Types<string | Record<string, unknown>>(["string", "object"])),
  parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
  response_format: Type.Optional(AnyObject),
  logprobs: Type.Optional(Nullable(Type.Boolean())),
  top_logprobs: Type.Optional(Nullable(Type.Integer())),
  metadata: Type.Optional(Nullable(AnyObject)),
});

export async function chatCompletionsRoutes(app: FastifyInstance): Promise<void> {
  const format = "chat";
  typed(app).post(
    "/v1/chat/completions",
    { schema: { body: chatCompletionsBodySchema }, config: { auth: true, clientFormat: format } },
    async (request, reply) => {
      // A body relayed unparsed holds only its top-level scalars: the wider type is the honest one.
      const body: Record<string, unknown> = request.body;
      const model = request.body.model;
      const stream = body.stream === true;
      const warnings: TranslationWarning[] = [];
      // Decoded only when a backend of another format has to serve it; same-format calls relay the body.
      const decode = lazyDecoder(format, body, warnings);
      await proxyRequest({
        runtime: app.runtime,
        request,
        reply,
        call: { format, path: codecs[format].path, body, rawBody: request.rawBody, stream },
        warnings,
        crossFormat: (backendFormat) => {
          const decoded = decode();
          if (decoded instanceof ProxyError) return decoded;
          return createCrossFormatHandler({ clientFormat: format, request: decoded, requestedModel: model, stream, warnings }, backendFormat);
        },
      });
      return reply;
    },
  );
}
