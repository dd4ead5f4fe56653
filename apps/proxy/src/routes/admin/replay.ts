// `POST /admin/replay`: sends a stored turn (or its whole chain) again, to the same or another model,
// through the proxy's own /v1/responses, streaming the answer back and storing it as a new response
// whose `metadata.replay_of` names the original.

import { ReplayBody } from "@yallmproxy/api";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { StoredResponse } from "@yallmproxy/db";
import { Errors, ProxyError } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { requireAdmin } from "./admin-auth.js";

function turnBody(turn: StoredResponse, model: string, previous: string | null, stream: boolean): Record<string, unknown> {
  const { previous_response_id: _p, background: _b, stream: _s, store: _st, ...fields } = turn.request;
  const metadata = { ...((fields.metadata as Record<string, string> | undefined) ?? {}), replay_of: turn.id };
  return { ...fields, model, input: turn.inputItems, previous_response_id: previous, metadata, store: true, stream };
}

// The answer is the replayed turn's Responses stream (or its error), relayed as it comes.
export async function adminReplayRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  app.post("/admin/replay", { onRequest: requireAdmin(() => scope.runtime.config.adminPassword), schema: { body: ReplayBody } }, async (request, reply) => {
    const body = request.body;
    const mode = body.mode ?? "turn";
    if (!app.runtime.config.models.has(body.model)) throw Errors.modelNotFound(body.model);
    const store = app.runtime.responses;
    const original = await store.get(body.responseId);
    if (!original) throw new ProxyError(404, `Response with id '${body.responseId}' not found.`, { code: "not_found" });

    const headers = { "content-type": "application/json", ...app.runtime.internalHeaders(original.ownerKeyId) };
    let previous = original.previousResponseId;
    if (mode === "chain") {
      const turns: StoredResponse[] = [];
      for (let t: StoredResponse | undefined = original; t && turns.length < 1000; t = t.previousResponseId ? await store.get(t.previousResponseId) : undefined) turns.unshift(t);
      previous = null;
      for (const turn of turns.slice(0, -1)) {
        const res: LightMyRequestResponse = await app.inject({ method: "POST", url: "/v1/responses", headers, payload: turnBody(turn, body.model, previous, false) });
        if (res.statusCode >= 400) return reply.code(res.statusCode).header("content-type", "application/json").send(res.body);
        previous = (res.json() as { id: string }).id;
      }
    }
    const res = await app.inject({ method: "POST", url: "/v1/responses", headers, payload: turnBody(original, body.model, previous, true), payloadAsStream: true });
    reply.code(res.statusCode).header("content-type", String(res.headers["content-type"] ?? "text/event-stream"));
    return reply.send(res.stream());
  });
}
