// `/v1/messages`: Anthropic clients (Claude Code, the Anthropic SDK) on any backend, and
// `/v1/messages/count_tokens`, forwarded to Anthropic backends and counted locally for the others.

import { Type } from "@sinclair/typebox";
import { AnyObject, StringEnum, Types } from "@yallmproxy/api";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type TranslationWarning, codecs, estimateInputTokens } from "@yallmproxy/translate";
import { Errors, ProxyError } from "../errors.js";
import { typed } from "../http/schema.js";
import { proxyRequest } from "../pipeline/proxy-request.js";
import { realTextLength } from "../pipeline/skeleton-intake.js";
import { createCrossFormatHandler, lazyDecoder } from "../pipeline/translation.js";
import { mayUseModel } from "../auth.js";
import { countMessagesTokens } from "./count-tokens.js";
import { forwardCount } from "./forward-count.js";

const messageList = Type.Array(
  Type.Object({
    // `system` mid-conversation: Claude Code 2.1 sends its environment block as `messages[1]`.
    role: StringEnum(["user", "assistant", "system"]),
    content: Types<string | Array<Record<string, unknown>>>(["string", "array"], { items: { type: "object" } }),
  }),
);

// A body missing several required fields is answered about the first of them in this order.
export const messagesBodySchema = Object.assign(
  Type.Object({
    model: Type.String({ minLength: 1 }),
    max_tokens: Type.Integer({ minimum: 1 }),
    messages: messageList,
    system: Type.Optional(Types<string | unknown[]>(["string", "array"])),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number()),
    top_k: Type.Optional(Type.Integer()),
    stop_sequences: Type.Optional(Type.Array(Type.String())),
    tools: Type.Optional(Type.Array(AnyObject)),
    tool_choice: Type.Optional(AnyObject),
    thinking: Type.Optional(AnyObject),
    metadata: Type.Optional(AnyObject),
  }),
  { required: ["model", "messages", "max_tokens"] },
);

const countTokensBodySchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: messageList,
  system: Type.Optional(Types<string | unknown[]>(["string", "array"])),
  tools: Type.Optional(Type.Array(AnyObject)),
});

/** `anthropic-version` and `anthropic-beta` as the client sent them, for Anthropic backends. */
function anthropicHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["anthropic-version", "anthropic-beta"]) {
    const v = request.headers[name];
    if (typeof v === "string" && v) out[name] = v;
  }
  return out;
}

type Api = ReturnType<typeof typed>;
const routeConfig = { auth: true, clientFormat: "messages" as const };

export async function messagesRoutes(app: FastifyInstance): Promise<void> {
  const api = typed(app);
  messagesRoute(app, api);
  countTokensRoute(app, api);
}

function messagesRoute(app: FastifyInstance, api: Api): void {
  const format = routeConfig.clientFormat;
  api.post("/v1/messages", { schema: { body: messagesBodySchema }, config: routeConfig }, async (request, reply) => {
    const runtime = app.runtime;
    if (!runtime.config.endpoints.messages) throw Errors.endpointDisabled("/v1/messages");
    // A body relayed unparsed holds only its top-level scalars: the wider type is the honest one.
    const body: Record<string, unknown> = request.body;
    const stream = body.stream === true;
    const warnings: TranslationWarning[] = [];
    const decode = lazyDecoder(format, body, warnings);
    // A body relayed unparsed is decoded only if a backend of another format comes to serve it.
    if (!request.relay) {
      const decoded = decode();
      if (decoded instanceof ProxyError) throw decoded;
    }
    const headers = anthropicHeaders(request);
    await proxyRequest({
      runtime,
      request,
      reply,
      call: { format, path: codecs[format].path, body, rawBody: request.rawBody, stream, forwardHeaders: headers },
      warnings,
      crossFormat: (backendFormat) => {
        const decoded = decode();
        if (decoded instanceof ProxyError) return decoded;
        const skeleton = request.skeleton;
        return createCrossFormatHandler(
          {
            clientFormat: format,
            request: decoded,
            requestedModel: request.body.model,
            stream,
            warnings,
            pingIntervalMs: runtime.config.messagesPingIntervalMs,
            ...(skeleton ? { inputTokens: () => estimateInputTokens(decoded, realTextLength(skeleton)) } : {}),
          },
          backendFormat,
        );
      },
    });
    return reply;
  });
}

/** Forwarded to an Anthropic backend as it is; counted here for a backend of another format. */
function countTokensRoute(app: FastifyInstance, api: Api): void {
  api.post("/v1/messages/count_tokens", { schema: { body: countTokensBodySchema }, config: routeConfig }, async (request, reply) => {
    const runtime = app.runtime;
    if (!runtime.config.endpoints.messages) throw Errors.endpointDisabled("/v1/messages/count_tokens");
    const body: Record<string, unknown> = request.body;
    const model = request.body.model;
    const { config: cfg, backends } = runtime.generation;
    const group = cfg.groups.get(model);
    if (!group) throw Errors.modelNotFound(model);
    const caller = request.caller ?? { keyId: undefined, key: undefined };
    // Counted by the model's first deployment the caller may use.
    const route = group.deployments.find((d) => mayUseModel(cfg, caller, d));
    if (!route) throw Errors.modelNotAllowed(model);
    const backend = backends.get(route.id);
    if (backend?.format === routeConfig.clientFormat) {
      return forwardCount({ reply, backend, route, path: "/messages/count_tokens", body, headers: anthropicHeaders(request) });
    }
    return { input_tokens: await countMessagesTokens(body) };
  });
}
