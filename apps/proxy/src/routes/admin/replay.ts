// `POST /admin/replay`: sends a stored turn (or its whole chain) again, to the same or another model
// (responses/replay.ts), streaming the answer back and storing it as a new response whose
// `metadata.replay_of` names the original.

import { ReplayBody } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { typed } from "../../http/schema.js";
import { replay } from "../../responses/replay.js";
import { requireAdmin } from "./admin-auth.js";

// The answer is the replayed turn's Responses stream (or its error), relayed as it comes.
export async function adminReplayRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  app.post("/admin/replay", { onRequest: requireAdmin(() => scope.runtime.config.adminPassword), schema: { body: ReplayBody } }, async (request, reply) => {
    const { responseId, model, mode } = request.body;
    await replay(app.runtime, request, reply, { responseId, model, mode: mode ?? "turn" });
    return reply;
  });
}
