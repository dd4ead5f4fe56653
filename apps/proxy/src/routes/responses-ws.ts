// `GET /v1/responses` with an Upgrade: Responses WebSocket mode (responses/socket-session.ts). The
// upgrade is routed through Fastify like any request, so app keys are checked (and refused, as HTTP
// answers) on it as on `POST /v1/responses`; with WebSocket mode turned off in config it is
// answered 426, on which clients fall back to HTTP at once.

import { type IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { WebSocketServer } from "ws";
import { Errors } from "../errors.js";
import { ResponsesSocket } from "../responses/socket-session.js";

export const RESPONSES_PATH = "/v1/responses";

const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Upgrades routed but not yet answered: the socket and the bytes read past the request's head. */
const pendingUpgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();

/** The `upgrade` listener for `/v1/responses`: the request goes through the app's routing. */
export function responsesUpgrade(app: FastifyInstance): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    pendingUpgrades.set(req, { socket, head });
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    // Refused (an HTTP answer was written): the connection ends with it.
    res.once("finish", () => {
      if (pendingUpgrades.delete(req)) socket.end();
    });
    app.routing(req, res);
  };
}

function checkHandshake(headers: IncomingMessage["headers"]): void {
  if (headers.upgrade?.toLowerCase() !== "websocket") throw Errors.invalidUpgrade("/v1/responses upgrades only to the WebSocket protocol.");
  if (headers["sec-websocket-version"] !== "13") throw Errors.invalidUpgrade("Sec-WebSocket-Version must be 13.");
  const key = headers["sec-websocket-key"];
  if (typeof key !== "string" || !WEBSOCKET_KEY.test(key)) throw Errors.invalidUpgrade("Sec-WebSocket-Key is missing or invalid.");
}

export async function responsesWebSocketRoutes(app: FastifyInstance): Promise<void> {
  const settings = app.runtime.config.webSocket;
  // The frame bound is read once: a config reload does not resize the server's parser.
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const metrics = app.runtime.ops.metrics;

  app.get(RESPONSES_PATH, { config: { auth: true, clientFormat: "responses" } }, async (request, reply) => {
    const config = app.runtime.config;
    if (!config.endpoints.responses) throw Errors.endpointDisabled(RESPONSES_PATH);
    if (!config.endpoints.responsesWebSocket) throw Errors.webSocketModeOff();
    const upgrade = pendingUpgrades.get(request.raw);
    if (!upgrade) throw Errors.webSocketUpgradeRequired();
    checkHandshake(request.headers);
    pendingUpgrades.delete(request.raw);
    reply.hijack();
    request.log.info({ reqId: request.id, path: RESPONSES_PATH, websocket: true, key: request.caller?.keyId }, "websocket opened");
    wss.handleUpgrade(request.raw, upgrade.socket, upgrade.head, (ws) => {
      const session = new ResponsesSocket(app.runtime, ws, { headers: request.headers, log: request.log });
      app.runtime.sockets.add(session);
      metrics.webSocketsOpen.inc();
      ws.on("error", () => ws.terminate());
      ws.once("close", (code: number) => {
        app.runtime.sockets.delete(session);
        metrics.webSocketsOpen.dec();
        request.log.info({ reqId: request.id, websocket: true, code }, "websocket closed");
      });
    });
    return reply;
  });

  // Closing the app: the turns in flight were drained (or ended) first (shutdown.ts); what is left closes now.
  app.addHook("preClose", (done) => {
    app.runtime.sockets.closeAll();
    done();
  });
}
