// One HTTP call to an upstream as an undici dispatch handler. The answer's body is delivered straight
// to a sink (pass-through relays write each chunk to the client socket as it arrives), or, for code
// that wants a Node stream, through a Readable made on first use. undici's `request()` builds a
// stream and a promise chain per call; on the pass-through path that was a third of the proxy's CPU.

import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { Cancel } from "../cancel.js";
import { type BodySink, type DirectBody, type UpstreamResponse, UpstreamError } from "./types.js";

type Controller = Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestStart"]>>[0];
type Headers = UpstreamResponse["headers"];

/** Chunks held before a consumer attaches; beyond this the upstream socket is paused. */
const HOLD_LIMIT_BYTES = 256 * 1024;

const CONNECT_ERROR_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_CLOSED"]);
const HANG_UP_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

export class UpstreamCall implements Dispatcher.DispatchHandler, UpstreamResponse, DirectBody {
  status = 0;
  headers: Headers = {};
  private controller: Controller | undefined;
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private sink: BodySink | undefined;
  private readable: Readable | undefined;
  private settle: ((value: UpstreamResponse) => void) | undefined;
  private fail: ((err: unknown) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Why this side aborted the call, so the error is reported as a timeout or an abort. */
  private abortReason: UpstreamError | undefined;

  constructor(
    private readonly cancel: Cancel,
    private readonly backendName: string,
    /** What the body is, for the message when it breaks: an event stream or a JSON body. */
    private readonly bodyKind: "stream" | "body" = "body",
    /** The time allowed between body chunks, for the message when it runs out. */
    private readonly bodyTimeoutMs = 0,
  ) {}

  /** Resolves at the response headers; rejects with an UpstreamError when no response came. */
  start(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, preciseTimeoutMs?: number): Promise<UpstreamResponse> {
    return new Promise<UpstreamResponse>((resolve, reject) => {
      if (this.cancel.aborted) return reject(new UpstreamError("aborted", "request aborted"));
      this.settle = resolve;
      this.fail = reject;
      this.cancel.onAbort(this.onAbort);
      if (preciseTimeoutMs !== undefined) {
        this.timer = setTimeout(
          () => this.abort(new UpstreamError("timeout", `upstream ${this.backendName} timed out after ${preciseTimeoutMs} ms`)),
          preciseTimeoutMs,
        ).unref();
      }
      dispatcher.dispatch(options, this);
    });
  }

  private readonly onAbort = (): void => this.abort(new UpstreamError("aborted", "request aborted"));

  // --- undici handler ---

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: Headers): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    this.clearTimer();
    const settle = this.settle;
    this.settle = undefined;
    this.fail = undefined;
    settle?.(this);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.sink) {
      if (!this.sink.data(chunk)) controller.pause();
    } else if (this.readable) {
      if (!this.readable.push(chunk)) controller.pause();
    } else {
      (this.held ??= []).push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > HOLD_LIMIT_BYTES) controller.pause();
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    this.done();
    if (this.sink) this.sink.end();
    else if (this.readable) this.readable.push(null);
  }

  onResponseError(_controller: Controller, err: Error): void {
    const error =
      this.abortReason ??
      (err instanceof UpstreamError
        ? err
        : this.status
          ? classifyBodyError(err, this.backendName, this.bodyKind, this.bodyTimeoutMs)
          : classifyUndiciError(err, this.backendName));
    this.failure = error;
    this.done();
    if (this.fail) {
      const fail = this.fail;
      this.settle = undefined;
      this.fail = undefined;
      fail(error);
      return;
    }
    if (this.sink) this.sink.error(error);
    else if (this.readable) this.readable.destroy(error);
  }

  // --- the response ---

  get direct(): DirectBody {
    return this;
  }

  get body(): Readable {
    if (this.readable) return this.readable;
    if (this.failure && this.held) {
      // What came before the failure is read first, then the failure.
      const held = this.held;
      const failure = this.failure;
      this.held = undefined;
      this.readable = Readable.from(
        (async function* () {
          yield* held;
          throw failure;
        })(),
        { objectMode: false },
      );
      return this.readable;
    }
    const readable = new Readable({
      read: () => this.controller?.resume(),
      destroy: (err, cb) => {
        if (!this.ended && !this.failure) this.abort(new UpstreamError("aborted", "response body discarded"));
        cb(err);
      },
    });
    this.readable = readable;
    this.flushHeld((chunk) => readable.push(chunk));
    if (this.failure) readable.destroy(this.failure);
    else if (this.ended) readable.push(null);
    return readable;
  }

  // --- DirectBody ---

  pipe(sink: BodySink): void {
    this.sink = sink;
    let more = true;
    this.flushHeld((chunk) => {
      if (!sink.data(chunk)) more = false;
    });
    if (this.failure) sink.error(this.failure);
    else if (this.ended) sink.end();
    else if (more) this.controller?.resume();
    else this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  abort(reason?: UpstreamError): void {
    if (this.ended || this.failure || this.abortReason) return;
    // Made only when needed: an Error captures a stack trace.
    reason ??= new UpstreamError("aborted", "request aborted");
    this.abortReason = reason;
    if (this.controller) this.controller.abort(reason);
    else if (this.fail) {
      // Still queued in the pool: the caller hears now, the call is dropped when it would start.
      const fail = this.fail;
      this.settle = undefined;
      this.fail = undefined;
      this.done();
      fail(reason);
    }
  }

  private flushHeld(write: (chunk: Buffer) => void): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    this.heldBytes = 0;
    for (const chunk of held) write(chunk);
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private done(): void {
    this.clearTimer();
    this.cancel.offAbort(this.onAbort);
  }
}

/** A failure after the response headers: the upstream answered, then stopped sending or hung up. */
function classifyBodyError(err: unknown, backend: string, bodyKind: "stream" | "body", timeoutMs: number): UpstreamError {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === "AbortError" || code === "UND_ERR_ABORTED") return new UpstreamError("aborted", "request aborted", err);
  if (code === "UND_ERR_BODY_TIMEOUT") return new UpstreamError("timeout", `upstream ${backend} sent nothing for ${timeoutMs / 1000} s`, err);
  return new UpstreamError("closed", `upstream ${backend} closed the connection before the ${bodyKind} ended`, err);
}

function classifyUndiciError(err: unknown, backend: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; name?: string; cause?: { code?: string }; message?: string };
  const code = e.code ?? e.cause?.code;
  if (e.name === "AbortError" || code === "UND_ERR_ABORTED") return new UpstreamError("aborted", "request aborted", err);
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new UpstreamError("timeout", `upstream ${backend} timed out`, err);
  }
  // A request undici refuses to send (a header it manages, say) fails the same way every time.
  if (code === "UND_ERR_INVALID_ARG" || code === "UND_ERR_NOT_SUPPORTED")
    return new UpstreamError("protocol", `upstream ${backend} request refused: ${e.message ?? String(err)}`, err);
  // Connected, sent the request, and the upstream hung up instead of answering.
  if (code && HANG_UP_CODES.has(code)) return new UpstreamError("closed", `upstream ${backend} closed the connection without answering (${code})`, err);
  if (code && CONNECT_ERROR_CODES.has(code)) return new UpstreamError("connect", `upstream ${backend} unreachable (${code})`, err);
  return new UpstreamError("connect", `upstream ${backend} failed: ${e.message ?? String(err)}`, err);
}
