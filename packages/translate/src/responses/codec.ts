// OpenAI Responses as a `Codec`: the registry's entry for `responses`.

import type { Codec } from "../codec.js";
import { openAIRateLimitHeaders } from "../shared/rate-limit-headers.js";
import { lastStringField } from "../shared/tail-finish.js";
import { mapResponsesStatus } from "./finish-reason.js";
import { openAIBackendHeaders } from "../shared/openai-error.js";
import { decodeResponsesRequest } from "./decode-request.js";
import { decodeResponsesResponse } from "./decode-response.js";
import { encodeResponsesRequest } from "./encode-request.js";
import { encodeResponsesResponse } from "./encode-response.js";
import { responsesErrorBody, responsesReportedFailure, responsesStreamErrorFrame } from "./error-body.js";
import { responsesOnlyFieldWarnings } from "./cross-format-warnings.js";
import { createResponsesStreamDecoder } from "./stream-decoder.js";
import { createResponsesStreamEncoder } from "./stream-encoder.js";

export const responsesCodec: Codec = {
  format: "responses",
  path: "/responses",
  decodeRequest: (body, opts) => decodeResponsesRequest(body, opts),
  encodeRequest: (request, opts) => encodeResponsesRequest(request, { model: opts.model }),
  decodeResponse: (body) => decodeResponsesResponse(body),
  encodeResponse: (response, opts) =>
    encodeResponsesResponse({
      response,
      request: opts.request,
      ctx: opts.ctx,
      model: opts.model,
      ...(opts.id !== undefined ? { id: opts.id } : {}),
      ...(opts.previousResponseId !== undefined ? { previousResponseId: opts.previousResponseId } : {}),
      ...(opts.leadingItems ? { leadingItems: opts.leadingItems } : {}),
      ...(opts.rawReasoning ? { rawReasoning: opts.rawReasoning } : {}),
    }),
  createStreamDecoder: createResponsesStreamDecoder,
  createStreamEncoder: (opts) =>
    createResponsesStreamEncoder({
      ctx: opts.ctx,
      request: opts.request,
      model: opts.model,
      ...(opts.id !== undefined ? { id: opts.id } : {}),
      ...(opts.previousResponseId !== undefined ? { previousResponseId: opts.previousResponseId } : {}),
      ...(opts.leadingItems ? { leadingItems: opts.leadingItems } : {}),
      ...(opts.rawReasoning ? { rawReasoning: opts.rawReasoning } : {}),
      ...(opts.onComplete ? { onComplete: opts.onComplete } : {}),
    }),
  errorBody: responsesErrorBody,
  streamErrorFrame: responsesStreamErrorFrame,
  terminal: {
    markers: ["event: response.completed", "event: response.incomplete", "event: response.failed"],
    completeEnding: /"type": ?"response\.(completed|incomplete|failed)"/,
    name: "response.completed",
  },
  reportedFailure: responsesReportedFailure,
  // A failed Response opens like any other: only `status` tells, so none is looked for in the bytes.
  opensLikeError: () => false,
  backendHeaders: openAIBackendHeaders,
  takesRouteThinking: false,
  enforcesMaxToolCalls: true,
  finishFromTail: (tail) => {
    // The last `status` there: the terminal Response's or its last item's, which agree on completed / incomplete.
    const status = lastStringField(tail, "status");
    if (status === undefined) return undefined;
    return mapResponsesStatus(status, lastStringField(tail, "reason"), tail.includes('"type":"function_call"')).reason;
  },
  rateLimitHeaders: openAIRateLimitHeaders,
  crossFormatWarnings: responsesOnlyFieldWarnings,
};
