// A key owner's own usage, read with their app key: `GET /v1/usage` (the same report as the admin
// API's, only ever that key's rows) and `GET /v1/usage/limits` (what is left of its limits).

import { KeyUsage, UsageCsv, UsageList, UsageQuery } from "@yallmproxy/api";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { AppKey } from "../config/load-config.js";
import { Errors } from "../errors.js";
import { typed } from "../http/schema.js";
import { readUsageQuery } from "../usage/usage-report.js";
import { keyUsage, sendUsageReport } from "./admin/admin-usage.js";

export async function usageRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  const runtime = scope.runtime;
  const ownKey = (key: AppKey | undefined): AppKey => {
    // Usage is kept per app key: without one there is nothing that is the caller's own.
    if (!key) throw Errors.missingKey();
    return key;
  };

  app.get(
    "/v1/usage",
    { config: { auth: true, clientFormat: "chat" }, schema: { querystring: UsageQuery, response: { 200: Type.Union([UsageList, UsageCsv]) } } },
    async (request, reply) => {
      const key = ownKey(request.caller?.key);
      const r = readUsageQuery(request.query);
      return sendUsageReport(runtime, reply, { ...r, keyId: key.keyId, groupBy: r.groupBy.filter((d) => d !== "key") });
    },
  );

  app.get(
    "/v1/usage/limits",
    { config: { auth: true, clientFormat: "chat" }, schema: { querystring: UsageQuery, response: { 200: KeyUsage } } },
    async (request) => keyUsage(runtime, ownKey(request.caller?.key), readUsageQuery(request.query, ["total"])),
  );
}
