// `POST /admin/replay`: sends a stored turn (or its whole chain) again, to the same or another model,
// through the proxy's own /v1/responses, streaming the answer back and storing it as a new response
// whose `metadata.replay_of` names the original.

import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { StoredResponse } from "@yallmproxy/db";
import { Errors, ProxyError } from "../../errors.js";
import { requireAdmin } from "./admin-auth.js";

function turnBody(turn: StoredResponse, model: string, previous: string | null, stream: boolean): Record<string, unknown> {
  const { previous_response_id: _p, background: _b, stream: _s, store: _st, ...fields } = turn.request;
  const metadata = { ...((fields.metadata as Record<string, string> | undefined) ?? {}), replay_of: turn.id };
  return { ...fields, model, input: turn.inputItems, previous_response_id: previous, metadata, store: true, stream };
}

export async function adminReplayRoutes(app: FastifyInstance): Promise<void> {
  app.post("/admin/replay", { onRequest: requireAdmin(() => app.runtime.config.adminPassword) }, async (request, reply) => {
    const body = (request.body ?? {}) as { responseId?: unknown; model?: unknown; mode?: unknown };
    if (typeof body.responseId !== "string") throw Errors.invalidField("responseId", "responseId must be a stored response id.");
    if (typeof body.model !== "string" || !body.model) throw Errors.invalidField("model", "model must name a configured model.");
    const mode = body.mode ?? "turn";
    if (mode !== "turn" && mode !== "chain") throw Errors.invalidField("mode", "mode must be 'turn' or 'chain'.");
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
