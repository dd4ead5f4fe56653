// What every wire format implements to join the hub — requests, answers, streams, error bodies and
// how its streams end — and the error a translator throws for input it cannot represent (the route
// turns it into the client's own error JSON). `codecs.ts` holds one `Codec` per `WireFormat`.

import type { ResponsesItemResolver } from "./responses/responses-api.js";
import type { RateLimitState } from "./shared/rate-limit-headers.js";
import type { FinishReason, LlmRequest, LlmResponse, StreamEvent, TranslateContext, Translated, TranslationWarning, WireFormat } from "./ir.js";

/** One SSE frame as the parser hands it over. */
export interface SseFrame {
  event?: string;
  data: string;
}

/** Upstream SSE frames in, hub events out. Never throws: a bad frame becomes an `error` event. */
export interface StreamDecoder {
  push(frame: SseFrame): StreamEvent[];
  /** The upstream body ended. Emits an `error` event if the stream ended without finishing. */
  end(): StreamEvent[];
  /** The upstream body broke: what the decoder still holds (steps over its events), then `error`. */
  broke?(error: Extract<StreamEvent, { type: "error" }>): StreamEvent[];
}

/** Hub events in, SSE text for the client out. Never throws. */
export interface StreamEncoder {
  push(event: StreamEvent): string;
  /** Closes whatever is open and always emits the format's terminal event(s). */
  end(): string;
}

/** An error to answer with, whatever made it: the proxy's own or an upstream's, mapped. */
export interface ErrorInfo {
  status: number;
  message: string;
  /** OpenAI error type (`invalid_request_error`, `server_error`, …); formats with their own types map from `status`. */
  type: string;
  code: string | null;
  param: string | null;
}

/** What a backend of this format is called with beyond the hub request: the route's settings. */
export interface EncodeRequestOptions {
  /** The backend's model name. */
  model: string;
  /** The backend takes reasoning settings and reasoning history (Chat backends). */
  supportsReasoning?: boolean;
  /** A `thinking` object the route adds to every request (Chat backends such as vLLM or GLM). */
  thinking?: Record<string, unknown>;
}

/** What decoding a client's request may need beyond its body. */
export interface DecodeRequestOptions {
  /** Responses: looks up the item an `item_reference` names (the proxy's store). */
  resolveItem?: ResponsesItemResolver;
}

/** Who an answer is for: the client's decoded request and what the answer must echo. */
export interface AnswerOptions {
  ctx: TranslateContext;
  /** The client's request, decoded (Responses echoes its settings; Anthropic estimates its size). */
  request: LlmRequest;
  /** The model name the client asked for. */
  model: string;
  /** The answer's id; default: a fresh one. */
  id?: string;
  /** Responses: the response this one continues. */
  previousResponseId?: string | null;
  /** Responses: items the output starts with, as given, before the model's own. */
  leadingItems?: Array<Record<string, unknown>>;
  /** Messages streams: the prompt-size estimate `message_start` opens with, when the caller knows it better than `request` does. */
  inputTokens?: () => number;
  /** Responses: raw reasoning as `reasoning_text` content, as a summary, or both (the default). */
  rawReasoning?: "content" | "summary" | "both";
  /** Responses streams: gets the final Response right before its terminal event is written. */
  onComplete?: (finalResponse: Record<string, unknown>) => void;
}

/** What an error frame may need of a stream relayed unchanged: its first event's data and its last bytes. */
export interface RelayedStream {
  firstData: string | undefined;
  tail: string;
}

/** How a stream of this format ends, for relays that pass it on unchanged. */
export interface StreamTerminal {
  /** Text of the last event: a chunk holding one of these completed the answer. */
  markers: readonly string[];
  /** How the last bytes of a complete stream look when no marker was seen (a missing `[DONE]`, an error event). */
  completeEnding: RegExp;
  /** The terminal event's name, for messages. */
  name: string;
}

/**
 * One wire format. Decoders take untrusted JSON and throw `TranslateError` for what cannot be
 * represented; encoders never throw. Everything is pure: clock and ids come from `ctx`.
 */
export interface Codec {
  readonly format: WireFormat;
  /** The endpoint after the version prefix (`/chat/completions`), as a backend of this format serves it. */
  readonly path: string;
  decodeRequest(body: unknown, opts?: DecodeRequestOptions): Translated<LlmRequest>;
  encodeRequest(request: LlmRequest, opts: EncodeRequestOptions): Translated<Record<string, unknown>>;
  decodeResponse(body: unknown, ctx: TranslateContext): Translated<LlmResponse>;
  encodeResponse(response: LlmResponse, opts: AnswerOptions): Translated<Record<string, unknown>>;
  /** `warnings` hears what the decoder drops (blocks with no hub equivalent). */
  createStreamDecoder(warnings?: TranslationWarning[]): StreamDecoder;
  createStreamEncoder(opts: AnswerOptions): StreamEncoder;
  /** The JSON body of an error answer. */
  errorBody(error: ErrorInfo): object;
  /** The frame(s) ending a relayed stream that broke; `code` replaces the default (`shutting_down`). */
  streamErrorFrame(args: { message: string; code?: string | undefined; relayed: RelayedStream; ctx: TranslateContext }): string;
  readonly terminal: StreamTerminal;
  /** The message of a 200 body that says it failed, in this format; undefined when it does not. */
  reportedFailure(body: unknown): string | undefined;
  /** Whether a JSON body opens like this format's error object: a few bytes compared, so only those are parsed. */
  opensLikeError(body: Uint8Array): boolean;
  /** A frame that keeps a client's stream alive while the upstream is silent, where the format has one. */
  readonly keepAliveFrame?: string;
  /** A backend of this format takes a route's `thinking` object in its request body (vLLM, GLM: Chat). */
  readonly takesRouteThinking: boolean;
  /** A backend of this format enforces `max_tool_calls` itself (for the others the proxy does). */
  readonly enforcesMaxToolCalls: boolean;
  /** The headers a backend of this format is called with: its auth scheme and API version. */
  backendHeaders(apiKey: string | undefined): Record<string, string>;
  /** What a request decoded from this format loses on a backend of any other format. */
  crossFormatWarnings?(request: LlmRequest): TranslationWarning[];
  /** How an answer relayed unchanged ended, from its last bytes (its finish field there); undefined when they do not say. */
  finishFromTail(tail: string): FinishReason | undefined;
  /** The rate-limit headers clients of this format read. */
  rateLimitHeaders(state: RateLimitState): Record<string, string>;
}

export class TranslateError extends Error {
  readonly status: number;
  readonly param: string | undefined;
  readonly code: string | undefined;
  constructor(message: string, opts: { status?: number; param?: string; code?: string } = {}) {
    super(message);
    this.name = "TranslateError";
    this.status = opts.status ?? 400;
    this.param = opts.param;
    this.code = opts.code;
  }
}
