// OpenAI Chat Completions as a `Codec`: the registry's entry for `chat`.

import type { Codec } from "../codec.js";
import { openAIRateLimitHeaders } from "../shared/rate-limit-headers.js";
import { lastStringField } from "../shared/tail-finish.js";
import { mapChatFinishReason } from "./finish-reason.js";
import { openAIBackendHeaders } from "../shared/openai-error.js";
import { decodeChatRequest } from "./decode-request.js";
import { decodeChatResponse } from "./decode-response.js";
import { encodeChatRequest } from "./encode-request.js";
import { encodeChatResponse } from "./encode-response.js";
import { chatErrorBody, chatReportedFailure, chatStreamErrorFrame, opensLikeChatError } from "./error-body.js";
import { createChatStreamDecoder } from "./stream-decoder.js";
import { createChatStreamEncoder } from "./stream-encoder.js";

export const chatCodec: Codec = {
  format: "chat",
  path: "/chat/completions",
  decodeRequest: decodeChatRequest,
  encodeRequest(request, opts) {
    const encoded = encodeChatRequest(request, { model: opts.model, supportsReasoning: opts.supportsReasoning ?? false });
    // The route's own `thinking` switch, unless the client set one or asked for structured output.
    if (opts.thinking && encoded.value.thinking === undefined && !request.responseFormat) encoded.value.thinking = opts.thinking;
    return encoded;
  },
  decodeResponse: (body) => decodeChatResponse(body),
  encodeResponse: (response, opts) => encodeChatResponse(response, opts.ctx, { model: opts.model }),
  createStreamDecoder: createChatStreamDecoder,
  createStreamEncoder: (opts) =>
    createChatStreamEncoder(opts.ctx, { model: opts.model, includeUsage: opts.request.streamIncludeUsage === true, ...(opts.id ? { id: opts.id } : {}) }),
  errorBody: chatErrorBody,
  streamErrorFrame: ({ message, code }) => chatStreamErrorFrame(message, code),
  terminal: {
    markers: ["data: [DONE]"],
    // A chat server may omit `[DONE]` after the last finish_reason; an error chunk ends a stream too.
    completeEnding: /data: ?\[DONE\]|"finish_reason": ?"|data: ?\{ ?"error"/,
    name: "data: [DONE]",
  },
  reportedFailure: chatReportedFailure,
  opensLikeError: opensLikeChatError,
  backendHeaders: openAIBackendHeaders,
  takesRouteThinking: true,
  enforcesMaxToolCalls: false,
  finishFromTail: (tail) => {
    const raw = lastStringField(tail, "finish_reason");
    return raw === undefined ? undefined : mapChatFinishReason(raw);
  },
  rateLimitHeaders: openAIRateLimitHeaders,
};
