// What every backend kind implements: take an encoded request for its own wire format, return the
// upstream's status, headers and a byte stream. HTTP backends and the built-in mock look the same.

import type { Readable } from "node:stream";
import type { WireFormat } from "@yallmproxy/translate";
import type { Cancel } from "../cancel.js";
import type { ModelRoute } from "../config/load-config.js";
import type { BodyBytes } from "./body-bytes.js";

/** The wire format a backend speaks: one of the translate package's. */
export type BackendFormat = WireFormat;

export interface UpstreamRequest {
  /** Path after the version prefix, e.g. `/chat/completions`. */
  path: string;
  body: Record<string, unknown>;
  /** `body` already encoded (the client's own bytes); sent instead of serializing `body`. */
  rawBody?: BodyBytes;
  stream: boolean;
  /** Extra headers to forward (e.g. `anthropic-version`). */
  headers?: Record<string, string>;
  cancel: Cancel;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as a Node stream. */
  readonly body: Readable;
  /** The body without a stream object in between, where the backend offers it; use one or the other. */
  readonly direct?: DirectBody;
}

/** Receives a response body chunk by chunk. */
export interface BodySink {
  /** False asks the upstream to pause until `DirectBody.resume()`. */
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

export interface DirectBody {
  /** Delivers the body to `sink`, chunks that already arrived first. */
  pipe(sink: BodySink): void;
  resume(): void;
  /** Stops the body; with a reason, the sink hears it as the body's error. */
  abort(reason?: UpstreamError): void;
}

/**
 * `closed`: the upstream answered, then closed the connection before its body ended; `shutdown`: the
 * proxy ended the call because it is shutting down; `reported`: a 200 stream whose first events are an error.
 */
export type UpstreamFailureKind = "connect" | "timeout" | "aborted" | "protocol" | "closed" | "shutdown" | "reported";

/** A call that failed: no HTTP response (connection refused, timeout, abort), or a body cut short. */
export class UpstreamError extends Error {
  readonly kind: UpstreamFailureKind;
  constructor(kind: UpstreamFailureKind, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "UpstreamError";
    this.kind = kind;
  }
}

export interface Backend {
  readonly route: ModelRoute;
  /** The wire format this backend speaks natively. */
  readonly format: BackendFormat;
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/**
 * The wire format each `api_type` speaks: the registry's key for its codec (the mock backend speaks
 * Chat). `passthrough` models are reached only through `/p1` (routes/raw-passthrough.ts), never routed.
 */
const FORMAT_OF_API_TYPE: Readonly<Record<ModelRoute["apiType"], BackendFormat>> = {
  openai: "chat",
  passthrough: "chat",
  mock: "chat",
  "openai-responses": "responses",
  anthropic: "messages",
  // Translated to and from GigaChat's own API inside its backend (upstream/gigachat/).
  gigachat: "chat",
};

export function formatOfApiType(apiType: ModelRoute["apiType"]): BackendFormat {
  return FORMAT_OF_API_TYPE[apiType];
}
