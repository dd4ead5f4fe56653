// `POST /v1/responses/compact`: forwarded to a Responses backend, which compacts itself; on a
// backend of another format the proxy compacts with the route's model (responses/compaction.ts).

import { Type } from "@sinclair/typebox";
import { AnyObject, Nullable, Types } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { mayUseModel } from "../auth.js";
import { Errors } from "../errors.js";
import { typed } from "../http/schema.js";
import { compactHistory } from "../responses/compaction.js";
import { callerOf, checkResponsesRequest, summarizer, withHistory } from "../responses/create.js";
import { normalizeInput } from "../responses/records.js";
import { forwardCount } from "./forward-count.js";

const compactBodySchema = Type.Object({
  // Nullable in OpenAI's API, which has one model list; a proxy needs it to pick the backend.
  model: Type.String({ minLength: 1 }),
  input: Type.Optional(Nullable(Types<string | unknown[]>(["string", "array"]))),
  instructions: Type.Optional(Nullable(Type.String())),
  previous_response_id: Type.Optional(Nullable(Type.String())),
  tools: Type.Optional(Nullable(Type.Array(AnyObject))),
  parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
  reasoning: Type.Optional(Nullable(AnyObject)),
  text: Type.Optional(Nullable(AnyObject)),
  prompt_cache_key: Type.Optional(Nullable(Type.String())),
  service_tier: Type.Optional(Nullable(Type.String())),
});

export async function responsesCompactRoute(app: FastifyInstance): Promise<void> {
  const config = { auth: true, clientFormat: "responses" as const };
  typed(app).post("/v1/responses/compact", { schema: { body: compactBodySchema }, config }, async (request, reply) => {
    const runtime = app.runtime;
    const { input, tools, ...rest } = request.body;
    const body = { ...rest, ...(input !== undefined && input !== null ? { input } : {}), ...(tools ? { tools } : {}) };
    const route = checkResponsesRequest(runtime, body);
    const caller = callerOf(request);
    if (!mayUseModel(runtime.config, caller, route)) throw Errors.modelNotAllowed(body.model);
    const { upstreamBody } = await withHistory(runtime, body, route, caller, false);
    const backend = runtime.generation.backends.get(route.name);
    if (backend?.format === "responses") return forwardCount({ reply, backend, route, path: "/responses/compact", body: upstreamBody });

    const items = typeof upstreamBody.input === "string" ? normalizeInput(upstreamBody.input) : Array.isArray(upstreamBody.input) ? upstreamBody.input : [];
    if (items.length === 0) throw Errors.invalidField("input", "There is nothing to compact: give input or previous_response_id.");
    const { response } = await compactHistory(runtime, request, body, items, { kind: "endpoint", summarize: summarizer(runtime) });
    return response;
  });
}
