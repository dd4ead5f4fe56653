// `POST /v1/responses/input_tokens`: forwarded to a Responses backend, which counts itself; for a
// backend of another format the request (its stored chain included) is translated as it would be
// for that backend and counted here with the tokenizer `count_tokens` uses.

import { Type } from "@sinclair/typebox";
import { AnyObject, Nullable, Types } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { type TranslationWarning, codecs } from "@yallmproxy/translate";
import { mayUseModel } from "../auth.js";
import { Errors, ProxyError } from "../errors.js";
import { typed } from "../http/schema.js";
import { lazyDecoder } from "../pipeline/translation.js";
import { callerOf, withHistory } from "../responses/create.js";
import { routesForModel, stripProviderPrefix } from "../model-chain.js";
import { countMessagesTokens } from "./count-tokens.js";
import { forwardCount } from "./forward-count.js";

const inputTokensBodySchema = Type.Object({
  // Nullable in OpenAI's API, which has one model list; a proxy needs it to pick the backend.
  model: Type.String({ minLength: 1 }),
  input: Type.Optional(Nullable(Types<string | unknown[]>(["string", "array"]))),
  instructions: Type.Optional(Nullable(Type.String())),
  previous_response_id: Type.Optional(Nullable(Type.String())),
  tools: Type.Optional(Nullable(Type.Array(AnyObject))),
  tool_choice: Type.Optional(Nullable(Types<string | Record<string, unknown>>(["string", "object"]))),
  text: Type.Optional(Nullable(AnyObject)),
  reasoning: Type.Optional(Nullable(AnyObject)),
  parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
});

export async function responsesInputTokensRoute(app: FastifyInstance): Promise<void> {
  const config = { auth: true, clientFormat: "responses" as const };
  typed(app).post("/v1/responses/input_tokens", { schema: { body: inputTokensBodySchema }, config }, async (request, reply) => {
    const runtime = app.runtime;
    if (!runtime.config.endpoints.responses) throw Errors.endpointDisabled("/v1/responses/input_tokens");
    const { input, ...rest } = request.body;
    const body = { ...rest, ...(input !== undefined && input !== null ? { input } : {}) };
    const { config: cfg, backends } = runtime.generation;
    const route = routesForModel(cfg, stripProviderPrefix(body.model))[0];
    if (!route) throw Errors.modelNotFound(body.model);
    const caller = callerOf(request);
    if (!mayUseModel(cfg, caller, route)) throw Errors.modelNotAllowed(body.model);
    const { upstreamBody, itemsById } = await withHistory(runtime, body, route, caller, false);
    const backend = backends.get(route.name);
    if (backend?.format === "responses") return forwardCount({ reply, backend, route, path: "/responses/input_tokens", body: upstreamBody });

    const warnings: TranslationWarning[] = [];
    const decoded = lazyDecoder("responses", upstreamBody, warnings, { resolveItem: (id) => itemsById.get(id) })();
    if (decoded instanceof ProxyError) throw decoded;
    // Counted as Anthropic would read it: the same texts every backend gets, tool definitions included.
    const asMessages = codecs.messages.encodeRequest(decoded, { model: route.upstreamModel }).value;
    return { object: "response.input_tokens" as const, input_tokens: await countMessagesTokens(asMessages) };
  });
}
