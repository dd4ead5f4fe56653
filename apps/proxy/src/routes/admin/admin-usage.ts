// The admin API's usage reports: the ledger grouped by key, model and backend per hour or day (JSON
// or CSV), and one key's usage with what is left of its limits and budget.

import { IdParams, KeyUsage, UsageCsv, UsageList, UsageQuery } from "@yallmproxy/api";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { AppKey } from "../../config/load-config.js";
import { Errors } from "../../errors.js";
import { typed } from "../../http/schema.js";
import type { ProxyRuntime } from "../../runtime.js";
import { type UsageRequest, readUsageQuery, usageCsv, usageRows } from "../../usage/usage-report.js";
import { requireAdmin } from "./admin-auth.js";

/** `GET /admin/usage` and `GET /v1/usage` alike: the report, as JSON or CSV. */
export async function sendUsageReport(runtime: ProxyRuntime, reply: FastifyReply, r: UsageRequest): Promise<UsageList | string> {
  const rows = await usageRows(runtime, r);
  if (r.csv) {
    reply.header("content-type", "text/csv; charset=utf-8").header("content-disposition", 'attachment; filename="usage.csv"');
    return usageCsv(rows, r.groupBy);
  }
  return { data: rows, from: r.from.toISOString(), to: r.to.toISOString(), granularity: r.granularity, group_by: r.groupBy };
}

/** One key's totals per model over the period, and its limits now. */
export async function keyUsage(runtime: ProxyRuntime, key: AppKey, r: UsageRequest): Promise<KeyUsage> {
  const usage = await usageRows(runtime, { ...r, keyId: key.keyId, groupBy: ["model"], granularity: "total" });
  return { key: key.keyId, from: r.from.toISOString(), to: r.to.toISOString(), usage, limits: await runtime.limits.status(key, runtime.config) };
}

export async function adminUsageRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  const runtime = scope.runtime;
  const onRequest = requireAdmin(() => runtime.config.adminPassword);

  app.get("/admin/usage", { onRequest, schema: { querystring: UsageQuery, response: { 200: Type.Union([UsageList, UsageCsv]) } } }, async (request, reply) =>
    sendUsageReport(runtime, reply, readUsageQuery(request.query)),
  );

  app.get("/admin/keys/:id/usage", { onRequest, schema: { params: IdParams, querystring: UsageQuery, response: { 200: KeyUsage } } }, async (request) => {
    const key = runtime.config.appKeys.keys.find((k) => k.keyId === request.params.id);
    if (!key) throw Errors.adminNotFound(`No key with id '${request.params.id}'.`);
    return keyUsage(runtime, key, readUsageQuery(request.query, ["total"]));
  });
}
