// `POST /v1/chat/completions`: OpenAI Chat Completions clients, on any backend.

import type { FastifyInstance } from "fastify";
import { decodeChatRequest, type LlmRequest, type TranslationWarning } from "@yallmproxy/translate";
import { proxyRequest } from "../pipeline/proxy-request.js";
import { createCrossFormatHandler, translateError } from "../pipeline/translation.js";

const nullable = (type: string | string[]) => ({ type: [...(Array.isArray(type) ? type : [type]), "null"] });

/** Top-level fields are type-checked here; unknown fields pass through to the upstream. */
const chatCompletionsBodySchema = {
  type: "object",
  required: ["model", "messages"],
  properties: {
    model: { type: "string", minLength: 1 },
    messages: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["role"],
        properties: {
          role: { type: "string", enum: ["system", "developer", "user", "assistant", "tool", "function"] },
          content: nullable(["string", "array"]),
          tool_calls: nullable("array"),
          tool_call_id: { type: "string" },
          name: { type: "string" },
        },
      },
    },
    stream: nullable("boolean"),
    stream_options: nullable("object"),
    n: { type: ["integer", "null"], minimum: 1, maximum: 128 },
    temperature: { type: ["number", "null"], minimum: 0, maximum: 2 },
    top_p: { type: ["number", "null"], minimum: 0, maximum: 1 },
    max_tokens: { type: ["integer", "null"], minimum: 1 },
    max_completion_tokens: { type: ["integer", "null"], minimum: 1 },
    stop: nullable(["string", "array"]),
    presence_penalty: nullable("number"),
    frequency_penalty: nullable("number"),
    seed: nullable("integer"),
    user: { type: "string" },
    tools: { type: "array", items: { type: "object" } },
    tool_choice: { type: ["string", "object"] },
    parallel_tool_calls: nullable("boolean"),
    response_format: { type: "object" },
    logprobs: nullable("boolean"),
    top_logprobs: nullable("integer"),
    metadata: nullable("object"),
  },
} as const;

export async function chatCompletionsRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    "/v1/chat/completions",
    { schema: { body: chatCompletionsBodySchema }, config: { auth: true, clientFormat: "chat" } },
    async (request, reply) => {
      const body = request.body as Record<string, unknown>;
      const stream = body.stream === true;
      const warnings: TranslationWarning[] = [];
      // Decoded only when a backend of another format has to serve it; same-format calls relay the body.
      let decoded: LlmRequest | undefined;
      await proxyRequest({
        runtime: app.runtime,
        request,
        reply,
        call: { format: "chat", path: "/chat/completions", body, rawBody: request.rawBody, stream },
        warnings,
        crossFormat: (backendFormat) => {
          try {
            if (!decoded) {
              const d = decodeChatRequest(body);
              warnings.push(...d.warnings);
              decoded = d.value;
            }
          } catch (err) {
            return translateError(err);
          }
          return createCrossFormatHandler(
            { clientFormat: "chat", request: decoded, requestedModel: body.model as string, stream, warnings },
            backendFormat,
          );
        },
      });
      return reply;
    },
  );
}
