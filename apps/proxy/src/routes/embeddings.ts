// `POST /v1/embeddings` (OpenAI's shape) and `POST /v1/rerank` (the Cohere / Jina / vLLM shape):
// routed, retried and failed over like chat, served by OpenAI-compatible backends and the mock. The
// body is relayed with its model renamed, the JSON answer as it came; usage is read from its tail.

import { Type } from "@sinclair/typebox";
import { StringEnum } from "@yallmproxy/api";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { typed } from "../http/schema.js";
import type { PlainEndpoint } from "../pipeline/flight.js";
import { proxyRequest } from "../pipeline/proxy-request.js";

/** OpenAI's own cap on the inputs of one embeddings request. */
const MAX_INPUTS = 2048;
const tokenArray = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 });

/** Top-level fields are type-checked here; unknown fields pass through to the upstream. */
const embeddingsBodySchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Union([
    Type.String({ minLength: 1 }),
    Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: MAX_INPUTS }),
    tokenArray,
    Type.Array(tokenArray, { minItems: 1, maxItems: MAX_INPUTS }),
  ]),
  encoding_format: Type.Optional(StringEnum(["float", "base64"])),
  dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
  user: Type.Optional(Type.String()),
});

const rerankBodySchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  query: Type.String({ minLength: 1 }),
  documents: Type.Array(Type.Union([Type.String(), Type.Object({ text: Type.String() })]), { minItems: 1 }),
  top_n: Type.Optional(Type.Integer({ minimum: 1 })),
  return_documents: Type.Optional(Type.Boolean()),
});

async function relay(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, body: Record<string, unknown>, endpoint: PlainEndpoint) {
  await proxyRequest({
    runtime: app.runtime,
    request,
    reply,
    call: { format: "chat", path: `/${endpoint}`, body, rawBody: request.rawBody, stream: false, plainEndpoint: endpoint },
  });
  return reply;
}

export async function embeddingsRoutes(app: FastifyInstance): Promise<void> {
  const config = { auth: true, clientFormat: "chat" } as const;
  typed(app).post("/v1/embeddings", { schema: { body: embeddingsBodySchema }, config }, (request, reply) =>
    relay(app, request, reply, request.body, "embeddings"),
  );
  typed(app).post("/v1/rerank", { schema: { body: rerankBodySchema }, config }, (request, reply) => relay(app, request, reply, request.body, "rerank"));
}
