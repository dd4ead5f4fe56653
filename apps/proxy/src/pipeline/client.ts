// Who a pipeline call answers: a client's HTTP request and reply, or a run inside the proxy (a
// background response, a replayed turn) whose answer reaches its caller through `onFinal` and the
// reply's status and body, never through a socket.

import type { EventEmitter } from "node:events";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import type { FastifyBaseLogger } from "fastify";
import type { Caller } from "../auth.js";
import type { RelayedBody } from "./relay-intake.js";
import type { Skeleton } from "./skeleton-intake.js";

/** What the pipeline reads of the request it serves (a Fastify request is one). */
export interface ClientRequest {
  readonly id: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly log: FastifyBaseLogger;
  caller?: Caller;
  /** Set once the request's log line is written. */
  requestLogged: boolean;
  /** A client's body held as bytes, relayed unparsed (HTTP requests only). */
  relay?: RelayedBody | undefined;
  /** A client's body parsed with its long strings stood in (HTTP requests only). */
  skeleton?: Skeleton | undefined;
  /** A turn of a Responses WebSocket (its log line says so). */
  webSocket?: boolean;
}

/**
 * Where a streamed answer's bytes go: an HTTP response (Node's ServerResponse is one), or one turn of
 * a Responses WebSocket (responses/socket-turn.ts), which sends each SSE event as a frame.
 */
export interface ClientSink extends EventEmitter {
  statusCode: number;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  setHeader(name: string, value: string | number): unknown;
  writeHead(status: number, headers?: Record<string, string | number>): unknown;
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): unknown;
  destroy(): unknown;
}

/** Headers a client names its session with: Claude Code's. */
const SESSION_HEADERS = ["x-claude-code-session-id"];
/** A session id is one short token of visible ASCII; anything else is not taken as one. */
const SESSION_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The client's own session id, where it sends one: what a router may keep a conversation on one
 * backend by, and what a trace is grouped by. Undefined when absent or not a plausible id.
 */
export function clientSessionId(request: Pick<ClientRequest, "headers">): string | undefined {
  for (const name of SESSION_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string" && SESSION_ID.test(value)) return value;
  }
  return undefined;
}

/** What the pipeline writes its answer to (a Fastify reply is one). */
export interface ClientReply {
  readonly raw: ClientSink;
  readonly sent: boolean;
  code(status: number): ClientReply;
  header(name: string, value: string | number): ClientReply;
  send(payload?: string | Buffer): ClientReply;
  hijack(): ClientReply;
}

/**
 * The reply of a run inside the proxy: keeps the status and the body it is sent, and writes nothing.
 * Runs are never streamed, so nothing writes to `raw` (a response with no connection behind it).
 */
export class DetachedReply implements ClientReply {
  readonly raw = new ServerResponse(new IncomingMessage(new Socket()));
  sent = false;
  body: string | Buffer | undefined;

  get status(): number {
    return this.raw.statusCode;
  }

  code(status: number): this {
    this.raw.statusCode = status;
    return this;
  }

  header(): this {
    return this;
  }

  send(payload?: string | Buffer): this {
    this.sent = true;
    this.body = payload;
    return this;
  }

  hijack(): this {
    throw new Error("a run inside the proxy is never streamed");
  }
}

/** The request of a run inside the proxy, acting as `caller`. */
export function detachedRequest(id: string, caller: Caller, from: Pick<ClientRequest, "headers" | "log">): ClientRequest {
  return { id, headers: from.headers, log: from.log, caller, requestLogged: false };
}
