// The shapes every wire-format codec implements, and the error a translator throws for input it
// cannot represent (the route turns it into the client's own error JSON).

import type { StreamEvent } from "./ir.js";

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
}

/** Hub events in, SSE text for the client out. Never throws. */
export interface StreamEncoder {
  push(event: StreamEvent): string;
  /** Closes whatever is open and always emits the format's terminal event(s). */
  end(): string;
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
