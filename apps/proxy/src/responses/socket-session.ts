// One Responses WebSocket: `response.create` frames run one after another through the same path as
// `POST /v1/responses` (keys, limits, traces, metrics, the store), each answered with its stream's
// events as frames. The socket's own chain lets a turn continue an earlier one of the socket with
// `previous_response_id` and only its new input, even with `store: false`.

import { finished } from "node:stream/promises";
import type { FastifyBaseLogger } from "fastify";
import { Ajv, type ValidateFunction } from "ajv";
import type { RawData, WebSocket } from "ws";
import { jsonDeeperThan } from "@yallmproxy/translate";
import { timeOrderedId } from "../http/request-id.js";
import { authenticate } from "../auth.js";
import type { WebSocketSettings } from "../config/load-config.js";
import { Errors, ProxyError } from "../errors.js";
import { toProxyError } from "../http/refusals.js";
import type { ClientRequest } from "../pipeline/client.js";
import type { ProxyRuntime } from "../runtime.js";
import { responsesBodySchema } from "./body-schema.js";
import { createResponse } from "./create.js";
import { type ResponsesBody, normalizeInput } from "./records.js";
import { type ChainTurn, SocketChain } from "./socket-chain.js";
import { warmupAnswer } from "./socket-warmup.js";
import { SocketTurnReply, type SocketTurnSink, errorFrame } from "./socket-turn.js";

/** `response.create` events that may wait behind the running turn. */
const QUEUED_TURNS = 4;
const OPEN = 1;

/** The upgrade request a socket was opened with: its headers (the key is checked again each turn) and logger. */
export interface SocketOrigin {
  headers: Record<string, string | string[] | undefined>;
  log: FastifyBaseLogger;
}

// Same options as the HTTP route's validator (app.ts).
const validateBody: ValidateFunction<ResponsesBody> = new Ajv({
  allowUnionTypes: true,
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
}).compile<ResponsesBody>(responsesBodySchema);

export class ResponsesSocket {
  private readonly settings: WebSocketSettings;
  private readonly chain: SocketChain;
  private readonly opened = Date.now();
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;
  private turns = 0;
  private current: SocketTurnSink | undefined;
  private idle: NodeJS.Timeout | undefined;
  private readonly aged: NodeJS.Timeout;
  /** Why the socket takes no new turns and closes once free: shutdown (1001) or its age (1000). */
  private ending: { code: number; reason: string } | undefined;

  constructor(
    private readonly runtime: ProxyRuntime,
    private readonly ws: WebSocket,
    private readonly origin: SocketOrigin,
  ) {
    this.settings = runtime.config.webSocket;
    this.chain = new SocketChain({ maxBytes: this.settings.chainMaxBytes, maxTurns: this.settings.chainMaxTurns });
    ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    ws.once("close", () => this.onClose());
    this.armIdle();
    // Past its age a socket closes even if the client keeps it busy with frames; the client reconnects.
    this.aged = setTimeout(() => this.endWhenFree(1000, "connection limit reached"), this.settings.maxAgeMs).unref();
  }

  /** Shutdown: no new turns; the socket closes once the turns it has are answered. */
  drain(): void {
    this.endWhenFree(1001, "server shutting down");
  }

  private endWhenFree(code: number, reason: string): void {
    this.ending ??= { code, reason };
    this.armIdleIfFree();
  }

  /** Ends the socket cleanly (a turn still running is cancelled by the close). */
  close(code: number, reason: string): void {
    if (this.ws.readyState !== OPEN) return;
    this.ws.close(code, reason);
    // A peer that never answers the close frame does not hold the server.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private onClose(): void {
    clearTimeout(this.idle);
    clearTimeout(this.aged);
    // The turn's reply closing is what cancels its upstream call (pipeline/proxy-request.ts).
    this.current?.destroy();
    this.chain.clear();
  }

  private armIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(1000, "idle timeout"), this.settings.idleTimeoutMs).unref();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    clearTimeout(this.idle);
    if (this.ending) return this.send(errorFrame(this.ending.code === 1001 ? Errors.shuttingDown() : this.ageLimit()));
    if (isBinary) return this.enqueue(() => this.send(errorFrame(Errors.socketFrameNotText())));
    if (this.waiting >= QUEUED_TURNS) {
      this.send(errorFrame(Errors.socketQueueFull(QUEUED_TURNS)));
      return this.armIdleIfFree();
    }
    const text = rawText(data);
    const event = parseEvent(text, this.runtime.config.server.maxJsonDepth);
    // Codex acknowledges each response it has handled; there is nothing to answer.
    if (!(event instanceof ProxyError) && event.type === "response.processed") return this.armIdleIfFree();
    this.enqueue(() => (event instanceof ProxyError ? this.send(errorFrame(event)) : this.runTurn(event, text.length)));
  }

  /** Turns (and the errors of frames between them) go out in the order their frames came. */
  private enqueue(task: () => void | Promise<void>): void {
    this.waiting++;
    this.queue = this.queue
      .then(task)
      .catch((err: unknown) => this.origin.log.error({ err }, "websocket turn failed"))
      .finally(() => {
        this.waiting--;
        this.armIdleIfFree();
      });
  }

  private armIdleIfFree(): void {
    if (this.waiting !== 0 || this.ws.readyState !== OPEN) return;
    if (this.ending) this.close(this.ending.code, this.ending.reason);
    else this.armIdle();
  }

  private send(frame: string): void {
    if (this.ws.readyState === OPEN) this.ws.send(frame);
  }

  private async runTurn(event: Record<string, unknown>, frameLength: number): Promise<void> {
    if (this.ws.readyState !== OPEN) return;
    const limit = this.limitReached();
    if (limit) {
      this.send(errorFrame(limit));
      return this.close(1000, "connection limit reached");
    }
    // A key revoked (or changed) by a config reload stops serving sockets it opened.
    const caller = authenticate(this.runtime.config, this.origin.headers);
    if (caller instanceof ProxyError) {
      this.send(errorFrame(caller));
      return this.close(1008, "key no longer valid");
    }
    const parsed = bodyOf(event);
    if (parsed instanceof ProxyError) return this.send(errorFrame(parsed));
    const { body, generate } = parsed;
    const previousId = typeof body.previous_response_id === "string" ? body.previous_response_id : undefined;
    const socketTurns = previousId === undefined ? undefined : this.chain.turnsOf(previousId);
    const request: ClientRequest = {
      id: timeOrderedId(),
      headers: this.origin.headers,
      log: this.origin.log,
      caller,
      requestLogged: false,
      webSocket: true,
    };
    const reply = new SocketTurnReply(this.ws);
    this.current = reply.raw;
    let failed = false;
    try {
      if (generate === false) {
        reply.raw.write(warmupAnswer(this.runtime, caller, body));
        request.log.info({ reqId: request.id, model: body.model, websocket: true, warmup: true, key: caller.keyId, status: 200 }, "request");
        request.requestLogged = true;
      } else await createResponse({ runtime: this.runtime, request, reply, body, ...(socketTurns ? { socketTurns } : {}) });
    } catch (err) {
      const refusal = err instanceof ProxyError ? err : Errors.internal();
      failed = refusal.status !== 499;
      if (!(err instanceof ProxyError)) request.log.error({ reqId: request.id, err }, "unhandled error");
      if (!request.requestLogged)
        request.log.info({ reqId: request.id, path: "/v1/responses", websocket: true, status: refusal.status, code: refusal.code }, "request");
      this.send(errorFrame(refusal));
    } finally {
      this.current = undefined;
      await endOf(reply.raw);
    }
    // A continuation that failed drops the response it continued; one the client left does not.
    if (previousId !== undefined && (failed || reply.refused || reply.raw.terminal?.status === "failed")) this.chain.evict(previousId);
    // A turn continued from the store (not from this socket) is continued from the store again.
    else if (previousId === undefined || socketTurns) this.remember(reply.raw.terminal, previousId, body, frameLength);
  }

  private limitReached(): ProxyError | undefined {
    if (Date.now() - this.opened > this.settings.maxAgeMs) return this.ageLimit();
    if (++this.turns > this.settings.maxTurns) return Errors.socketTurnLimit(this.settings.maxTurns);
    return undefined;
  }

  private ageLimit(): ProxyError {
    return Errors.socketAgeLimit(Math.round(this.settings.maxAgeMs / 60_000));
  }

  /** The turn's Response, kept in the socket's chain when it can be continued. */
  private remember(final: Record<string, unknown> | undefined, previousId: string | undefined, body: ResponsesBody, frameLength: number): void {
    if (!final || typeof final.id !== "string" || final.status === "failed") return;
    const outputItems = Array.isArray(final.output) ? final.output.filter(isRecord) : [];
    const turn: ChainTurn = { inputItems: normalizeInput(body.input), outputItems };
    const refused = this.chain.add(final.id, previousId, turn, frameLength + JSON.stringify(outputItems).length);
    if (refused) this.origin.log.info({ response: final.id, reason: refused }, "websocket chain not kept");
  }
}

/** The event of one text frame, or why it is not one the socket takes. */
function parseEvent(text: string, maxDepth: number): Record<string, unknown> | ProxyError {
  if (jsonDeeperThan(text, maxDepth)) return Errors.jsonTooDeep(maxDepth);
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (err) {
    return Errors.invalidJson(err instanceof Error ? err.message : "not JSON");
  }
  if (!isRecord(event)) return Errors.invalidJson("a frame must hold one JSON object");
  if (event.type !== "response.create" && event.type !== "response.processed")
    return Errors.socketEventUnknown(typeof event.type === "string" ? event.type : String(event.type));
  return event;
}

/** The Responses body of a `response.create` event: the event minus `type`, always streamed. */
function bodyOf(event: Record<string, unknown>): { body: ResponsesBody; generate: unknown } | ProxyError {
  // `stream` is implied on a socket; lanes (`stream_id`) are not served: turns run in order (docs/protocol.md).
  const { type: _type, stream: _stream, stream_id: _lane, generate, background, ...rest } = event;
  if (background === true) return Errors.socketBackground();
  if (generate !== undefined && typeof generate !== "boolean") return Errors.invalidField("generate", "Invalid value for 'generate': must be boolean.");
  if (!validateBody(rest)) return toProxyError(Object.assign(new Error("invalid body"), { validation: validateBody.errors ?? [] }), 0);
  return { body: { ...rest, stream: true }, generate };
}

async function endOf(sink: SocketTurnSink): Promise<void> {
  if (!sink.writableEnded && !sink.destroyed) sink.end();
  await finished(sink).catch(() => undefined);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.from(data).toString("utf8");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
