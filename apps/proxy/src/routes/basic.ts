// Liveness and discovery: `GET`/`HEAD /` (Claude Code probes it), `GET /health` (with whether the
// database answers), `GET /v1/models`.

import { Health, OpenAIModelList, RootStatus } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { mayUseModel } from "../auth.js";
import { typed } from "../http/schema.js";
import { DatabaseHealth } from "../ops/health.js";

const STARTED = Math.floor(Date.now() / 1000);

export async function basicRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  app.get("/", { schema: { response: { 200: RootStatus } } }, async () => ({ name: "yaLLMproxy", status: "ok" as const }));
  // `status` is "ok" whenever the process serves (a liveness probe); `database` says whether the
  // database (stored responses, traces, config versions) answers.
  const db = scope.runtime.database;
  const health = new DatabaseHealth(db ? () => db.ping() : undefined);
  app.get("/health", { schema: { response: { 200: Health } } }, async () => ({
    status: "ok" as const,
    models: scope.runtime.config.models.size,
    database: await health.state(),
  }));

  app.get("/v1/models", { config: { auth: true, clientFormat: "chat" }, schema: { response: { 200: OpenAIModelList } } }, async (request) => {
    const config = scope.runtime.config;
    const caller = request.caller ?? { keyId: undefined, key: undefined };
    // A model is the caller's when any of its deployments is; pass-through models are reached on /p1
    // only, as in yaLLMproxy's list.
    const data = [...config.groups.values()]
      .filter((group) => group.deployments.some((route) => route.apiType !== "passthrough" && mayUseModel(config, caller, route)))
      .map((group) => ({ id: group.name, object: "model" as const, created: STARTED, owned_by: "yallmproxy" }));
    return { object: "list" as const, data };
  });
}
