// Graceful shutdown: new requests are refused with a 503 in their client's format while the requests
// in flight get a grace period to finish; then each one left is ended with its format's error (a
// stream with its error event, a request still waiting for an upstream with the 503) and the server
// closes.

import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Cancel } from "./cancel.js";
import { Errors, errorBodyFor } from "./errors.js";
import { answerOnSocket } from "./http/connections.js";
import { type UpstreamResponse, UpstreamError } from "./upstream/types.js";

/** One client request between routing and its last byte. */
export interface InFlight {
  cancel: Cancel;
  /** The upstream answer being relayed, once there is one. */
  answered: UpstreamResponse | undefined;
}

export class InFlightRequests {
  private readonly requests = new Set<InFlight>();
  private onEmpty: (() => void) | undefined;

  add(request: InFlight): void {
    this.requests.add(request);
  }

  delete(request: InFlight): void {
    this.requests.delete(request);
    if (this.requests.size === 0) this.onEmpty?.();
  }

  get size(): number {
    return this.requests.size;
  }

  /** Whether every request finished within `ms`. */
  settled(ms: number): Promise<boolean> {
    if (this.requests.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onEmpty = undefined;
        resolve(false);
      }, ms);
      this.onEmpty = () => {
        clearTimeout(timer);
        this.onEmpty = undefined;
        resolve(true);
      };
    });
  }

  /** Ends every request still in flight the way its client understands; returns how many there were. */
  stopAll(): number {
    const count = this.requests.size;
    for (const request of this.requests) {
      if (request.answered) {
        // The relay hears it as its upstream breaking, and ends the client's answer with the error.
        const reason = new UpstreamError("shutdown", Errors.shuttingDown().message);
        if (request.answered.direct) request.answered.direct.abort(reason);
        else request.answered.body.destroy(reason);
      } else request.cancel.abort(Errors.shuttingDown());
    }
    return count;
  }
}

/** A long-lived connection (a Responses WebSocket) that ends itself cleanly once its work is done. */
interface Drainable {
  /** Takes no new work; closes now if idle, else after the work it has. */
  drain(): void;
  /** Closes now. */
  close(code: number, reason: string): void;
}

export class OpenSockets {
  private readonly all = new Set<Drainable>();

  add(socket: Drainable): void {
    this.all.add(socket);
  }

  delete(socket: Drainable): void {
    this.all.delete(socket);
  }

  drainAll(): void {
    for (const socket of this.all) socket.drain();
  }

  closeAll(): void {
    for (const socket of this.all) socket.close(1001, "server shutting down");
  }
}

/** From now on, every new request (and upgrade) on this server is answered 503 and its connection closed. */
function refuseNewRequests(server: Server): void {
  server.removeAllListeners("upgrade");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex) =>
    answerOnSocket(socket, 503, Errors.shuttingDown(), (req.url ?? "").startsWith("/v1/messages") ? "messages" : "chat"),
  );
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const err = Errors.shuttingDown();
    const body = JSON.stringify(errorBodyFor((req.url ?? "").startsWith("/v1/messages") ? "messages" : "chat", err));
    res.writeHead(503, { ...err.headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  server.closeIdleConnections();
}

export interface ShutdownLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Drains the requests in flight for up to `graceMs`, ends the rest, then closes the app. The
 * forwarders stop accepting at once and their connections get the same grace period.
 */
export async function shutdownGracefully(
  app: FastifyInstance,
  graceMs: number,
  log: ShutdownLog,
  forwarders?: { close(graceMs: number): Promise<void> },
): Promise<void> {
  const inFlight = app.runtime.inFlight;
  const forwardersClosed = forwarders?.close(graceMs);
  refuseNewRequests(app.server);
  app.runtime.sockets.drainAll();
  log.info({ inFlight: inFlight.size, graceSeconds: graceMs / 1000 }, "draining requests in flight");
  if (!(await inFlight.settled(graceMs))) {
    const ended = inFlight.stopAll();
    log.warn({ ended }, "grace period over: requests still in flight were ended with an error");
    // Their error frames are written at once; this only waits for the relays to finish.
    await inFlight.settled(2000);
  }
  // Closing the app ends the connections a forwarder holds to it, so the two close together.
  await Promise.all([app.close(), forwardersClosed]);
}
