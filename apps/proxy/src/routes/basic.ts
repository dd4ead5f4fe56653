// Liveness and discovery: `GET`/`HEAD /` (Claude Code probes it), `GET /health`, `GET /v1/models`.

import type { FastifyInstance } from "fastify";
import { mayUseModel } from "../auth.js";

const STARTED = Math.floor(Date.now() / 1000);

export async function basicRoutes(app: FastifyInstance): Promise<void> {
  app.get("/", async () => ({ name: "yaLLMproxy", status: "ok" }));
  app.get("/health", async () => ({ status: "ok", models: app.runtime.config.models.size }));

  app.get("/v1/models", { config: { auth: true, clientFormat: "chat" } }, async (request) => {
    const config = app.runtime.config;
    const caller = request.caller ?? { keyId: undefined, key: undefined };
    const data = [...config.models.values()]
      .filter((route) => mayUseModel(config, caller, route))
      .map((route) => ({ id: route.name, object: "model", created: STARTED, owned_by: "yallmproxy" }));
    return { object: "list", data };
  });
}
