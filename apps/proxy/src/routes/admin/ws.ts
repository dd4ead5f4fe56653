// `GET /admin/ws`: the live request feed for dashboards (see docs/admin-api.md).

import type { FastifyInstance, FastifyRequest } from "fastify";
import "@fastify/websocket";
import { LiveFeedQuery, MetricsText } from "@yallmproxy/api";
import { typed } from "../../http/schema.js";
import { Errors } from "../../errors.js";
import type { LiveFilter } from "../../ops/live-feed.js";
import { requireAdmin } from "./admin-auth.js";

const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Refuses a malformed handshake in the documented shape before the WebSocket library sees it. */
async function checkHandshake(request: FastifyRequest): Promise<void> {
  const upgrade = request.headers.upgrade;
  if (upgrade === undefined) return;
  const version = request.headers["sec-websocket-version"];
  const key = request.headers["sec-websocket-key"];
  if (upgrade.toLowerCase() !== "websocket") throw Errors.adminInvalidUpgrade("/admin/ws speaks only the WebSocket protocol.");
  if (version !== "13" && version !== "8") throw Errors.adminInvalidUpgrade("Sec-WebSocket-Version must be 13.", { "sec-websocket-version": "13" });
  if (typeof key !== "string" || !WEBSOCKET_KEY.test(key)) throw Errors.adminInvalidUpgrade("Sec-WebSocket-Key is missing or invalid.");
}

function parseFilter(data: unknown): LiveFilter | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(String(data));
  } catch {
    return undefined;
  }
  if (typeof msg !== "object" || msg === null || (msg as { type?: unknown }).type !== "filter") return undefined;
  const m = msg as Record<string, unknown>;
  const filter: LiveFilter = {};
  if (typeof m.model === "string" && m.model) filter.model = m.model;
  if (typeof m.key === "string" && m.key) filter.key = m.key;
  if (m.status === "ok" || m.status === "error") filter.status = m.status;
  return filter;
}

export const LIVE_FEED_PATH = "/admin/ws";

export async function adminWebSocketRoutes(app: FastifyInstance): Promise<void> {
  const api = typed(app);
  api.route({
    method: "GET",
    url: LIVE_FEED_PATH,
    schema: { querystring: LiveFeedQuery },
    onRequest: requireAdmin(() => app.runtime.config.adminPassword, { webSocket: true }),
    preValidation: checkHandshake,
    // A plain HTTP request to the feed.
    handler: async () => {
      throw Errors.adminUpgradeRequired();
    },
    wsHandler: (socket) => {
      const sub = {
        filter: {} as LiveFilter,
        send: (text: string) => socket.send(text),
        buffered: () => socket.bufferedAmount,
      };
      const unsubscribe = app.runtime.ops.live.subscribe(sub);
      socket.send(JSON.stringify({ type: "hello", serverTime: new Date().toISOString() }));
      for (const trace of app.runtime.ops.running.values()) socket.send(JSON.stringify({ type: "request.started", trace: trace.summary() }));
      socket.on("message", (data: unknown) => {
        const filter = parseFilter(data);
        if (filter) sub.filter = filter;
        else socket.send(JSON.stringify({ type: "error", message: 'expected {"type":"filter", "model"?, "key"?, "status"?: "ok"|"error"}' }));
      });
      socket.on("close", unsubscribe);
      socket.on("error", unsubscribe);
    },
  });

  // Its content type is not JSON: the text is sent as it is, the schema only says what it is.
  api.get("/metrics", { schema: { response: { 200: MetricsText } } }, async (_request, reply) => {
    const metrics = app.runtime.ops.metrics;
    reply.header("content-type", metrics.registry.contentType);
    return metrics.text();
  });
}
