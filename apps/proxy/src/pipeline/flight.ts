// What a request carries through the pipeline's stages (proxy-request.ts, answer.ts).

import type { Caller } from "../auth.js";
import type { Cancel } from "../cancel.js";
import type { ClientFormat, ProxyError } from "../errors.js";
import type { Trace } from "../ops/trace.js";
import type { ProxyRuntime } from "../runtime.js";
import type { InFlight } from "../shutdown.js";
import type { BodyBytes } from "../upstream/body-bytes.js";
import type { Backend, UpstreamResponse } from "../upstream/types.js";
import type { FinishReason, TranslationWarning } from "@yallmproxy/translate";
import type { ClientReply, ClientRequest } from "./client.js";
import type { RelayTap } from "./relay.js";
import type { TokenUsage } from "./usage.js";

/** Gets a Responses client's final Response before its terminal event (or JSON body) goes out. */
export type FinalHook = (response: Record<string, unknown>, backend: Backend) => Promise<void>;

interface ClientCall {
  format: ClientFormat;
  /** The endpoint path without `/v1`, as a same-format upstream gets it. */
  path: string;
  body: Record<string, unknown>;
  /** `body` as the client sent it, when the route passes that body on unchanged. */
  rawBody?: Buffer;
  stream: boolean;
  /** Headers to forward to same-format upstreams (e.g. `anthropic-beta`). */
  forwardHeaders?: Record<string, string>;
  /** Aborts the call from outside (a background run being cancelled). */
  signal?: AbortSignal;
  /**
   * Hears a same-format (pass-through) Responses answer before it reaches the client. Translated
   * answers reach the same hook through the cross-format handler the route builds.
   */
  onFinal?: FinalHook;
  /**
   * Embeddings and rerank: OpenAI-compatible backends only, the body relayed with its model renamed
   * (no parameters, no translation), the JSON answer relayed as it came.
   */
  plainEndpoint?: PlainEndpoint;
}

export type PlainEndpoint = "embeddings" | "rerank";

/** How a request crosses from the client's wire format to a backend's and back. */
export interface CrossFormatHandler {
  /** The upstream request for a backend of another format, or why it cannot serve this request. */
  encode(backend: Backend): PreparedRequest | ProxyError;
  /** Answers the client from a successful upstream response of another format. */
  respond(args: {
    backend: Backend;
    upstream: UpstreamResponse;
    request: ClientRequest;
    reply: ClientReply;
    signal: AbortSignal;
    tap?: RelayTap;
  }): Promise<{ usage?: TokenUsage; finish?: FinishReason; toolCalls?: number; upstreamError?: string; clientGone?: boolean }>;
}

export interface PreparedRequest {
  path: string;
  body: Record<string, unknown>;
  rawBody?: BodyBytes;
  headers?: Record<string, string>;
}

export interface ProxyCallOptions {
  runtime: ProxyRuntime;
  request: ClientRequest;
  reply: ClientReply;
  call: ClientCall;
  /** Translation warnings, logged with the request. */
  warnings?: TranslationWarning[];
  /** Builds the cross-format handler for this call; absent when only same-format backends can serve it. */
  crossFormat?: (backendFormat: Backend["format"]) => CrossFormatHandler | ProxyError;
  /** The id the answer is known by (a stored Response's), so the chain's next turn finds its deployment. */
  answeredId?: () => string | undefined;
  /** The Responses chain this request continues (its body sent upstream may hold the history instead). */
  previousResponseId?: string;
}

/** The fields of the request's log line; its token counts and status feed the trace too. */
export interface RequestLog extends Record<string, unknown> {
  status?: number;
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  upstreamError?: string;
  /** How the answer ended and the tool calls it made, where the proxy saw them (the usage ledger's). */
  finishReason?: FinishReason;
  toolCalls?: number;
}

/** One request on its way through the stages. */
export interface Flight {
  opts: ProxyCallOptions;
  trace: Trace;
  log: RequestLog;
  caller: Caller;
  model: string;
  started: number;
  tap: RelayTap;
  cancel: Cancel;
  /** The request as shutdown sees it. */
  inFlight: InFlight;
  handlerFor(backend: Backend): CrossFormatHandler | ProxyError;
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
