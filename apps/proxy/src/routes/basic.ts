// Liveness and discovery: `GET`/`HEAD /` (Claude Code probes it), `GET /health` (with whether the
// database answers), `GET /v1/models`.

import type { FastifyInstance } from "fastify";
import { mayUseModel } from "../auth.js";
import { DatabaseHealth } from "../ops/health.js";

const STARTED = Math.floor(Date.now() / 1000);

export async function basicRoutes(app: FastifyInstance): Promise<void> {
  app.get("/", async () => ({ name: "yaLLMproxy", status: "ok" }));
  // `status` is "ok" whenever the process serves (a liveness probe); `database` says whether the
  // database (stored responses, traces, config versions) answers.
  const db = app.runtime.database;
  const health = new DatabaseHealth(db ? () => db.prisma.$queryRawUnsafe("SELECT 1") : undefined);
  app.get("/health", async () => ({ status: "ok", models: app.runtime.config.models.size, database: await health.state() }));

  app.get("/v1/models", { config: { auth: true, clientFormat: "chat" } }, async (request) => {
    const config = app.runtime.config;
    const caller = request.caller ?? { keyId: undefined, key: undefined };
    const data = [...config.models.values()]
      .filter((route) => mayUseModel(config, caller, route))
      .map((route) => ({ id: route.name, object: "model", created: STARTED, owned_by: "yallmproxy" }));
    return { object: "list", data };
  });
}
