// Anthropic Messages as a `Codec`: the registry's entry for `messages`.

import type { Codec } from "../codec.js";
import { anthropicRateLimitHeaders } from "../shared/rate-limit-headers.js";
import { lastStringField } from "../shared/tail-finish.js";
import { mapMessagesStopReason } from "./finish-reason.js";
import { messagesOnlyFieldWarnings } from "./cross-format-warnings.js";
import { decodeMessagesRequest } from "./decode-request.js";
import { decodeMessagesResponse } from "./decode-response.js";
import { encodeMessagesRequest } from "./encode-request.js";
import { encodeMessagesResponse } from "./encode-response.js";
import { messagesErrorBody, messagesReportedFailure, messagesStreamErrorFrame, opensLikeMessagesError } from "./error-body.js";
import { estimateInputTokens } from "./estimate-input-tokens.js";
import { encodeMessagesPing } from "./ping.js";
import { createMessagesStreamDecoder } from "./stream-decoder.js";
import { createMessagesStreamEncoder } from "./stream-encoder.js";

/** The Messages API version the codec speaks; a client's own `anthropic-version` replaces it on pass-through. */
const ANTHROPIC_VERSION = "2023-06-01";

export const messagesCodec: Codec = {
  format: "messages",
  path: "/messages",
  decodeRequest: decodeMessagesRequest,
  encodeRequest: (request, opts) => encodeMessagesRequest(request, { model: opts.model }),
  decodeResponse: decodeMessagesResponse,
  encodeResponse: (response, opts) => encodeMessagesResponse({ ...response, model: opts.model }, opts.ctx),
  createStreamDecoder: (warnings) => createMessagesStreamDecoder(warnings ? { warnings } : {}),
  createStreamEncoder: (opts) =>
    createMessagesStreamEncoder({
      ctx: opts.ctx,
      model: opts.model,
      inputTokens: opts.inputTokens?.() ?? estimateInputTokens(opts.request),
      ...(opts.id ? { id: opts.id } : {}),
    }),
  // Anthropic's error type follows from the status (its own table), not from OpenAI's type.
  errorBody: (err) => messagesErrorBody(err.status, err.message),
  streamErrorFrame: ({ message, code }) => messagesStreamErrorFrame(message, code),
  terminal: {
    markers: ["event: message_stop"],
    completeEnding: /event: ?(message_stop|error)\b|"type": ?"message_stop"/,
    name: "message_stop",
  },
  reportedFailure: messagesReportedFailure,
  opensLikeError: opensLikeMessagesError,
  keepAliveFrame: encodeMessagesPing(),
  backendHeaders: (apiKey) => ({ ...(apiKey ? { "x-api-key": apiKey } : {}), "anthropic-version": ANTHROPIC_VERSION }),
  takesRouteThinking: false,
  enforcesMaxToolCalls: false,
  finishFromTail: (tail) => {
    const raw = lastStringField(tail, "stop_reason");
    return raw === undefined ? undefined : mapMessagesStopReason(raw);
  },
  rateLimitHeaders: anthropicRateLimitHeaders,
  crossFormatWarnings: messagesOnlyFieldWarnings,
};
