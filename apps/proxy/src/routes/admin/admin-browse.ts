// The admin API's read side of what the proxy recorded (docs/admin-api.md): traces, live or stored,
// and stored responses with their chains.

import {
  IdParams,
  Page,
  type WireFormat,
  ResponseListQuery,
  StoredResponseDetail,
  StoredResponseSummary,
  TraceDetail,
  TraceListQuery,
  TraceSummary,
} from "@yallmproxy/api";
import { type PageCursor, StoredResponseList, type TraceFilter, TraceStore, type TraceSummaryRecord } from "@yallmproxy/db";
import type { FastifyInstance } from "fastify";
import { Errors, type ProxyError } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { redactorFor } from "../../ops/redact.js";
import { walkChain } from "../../responses/chain.js";
import { requireAdmin } from "./admin-auth.js";

/** The formats of a trace, stored as text, as the wire formats the proxy wrote there. */
const formatsOf = (row: { clientFormat: string; backendFormat: string | null }) => ({
  clientFormat: row.clientFormat as WireFormat,
  backendFormat: row.backendFormat as WireFormat | null,
});

type DetailFields = Omit<TraceDetail, Exclude<keyof TraceSummary, "attempts">>;

/** A summary with the detail (JSON the proxy wrote) beside it: `attempts` becomes the list. */
function withDetail(summary: TraceSummary, detail: unknown): TraceDetail {
  return { ...summary, ...(detail as DetailFields) };
}

function summaryOf(row: TraceSummaryRecord): TraceSummary {
  return {
    id: row.id,
    startedAt: row.startedAt.toISOString(),
    model: row.model,
    keyId: row.keyId,
    ...formatsOf(row),
    backend: row.backend,
    stream: row.stream,
    status: row.status,
    state: "finished",
    attempts: row.attempts,
    ttftMs: row.ttftMs,
    durationMs: row.durationMs,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    error: row.error,
    warnings: row.warnings,
    finishReason: row.finishReason,
    toolCalls: row.toolCalls,
  };
}

function limitOf(raw: string | undefined, fallback = 50): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw Errors.invalidField("limit", "limit must be an integer from 1 to 200.");
  return n;
}

/** Cursor = `<ISO time>|<id>` of the last row of the previous page (newest first), base64url. */
function decodeCursor(raw: string | undefined): PageCursor | undefined {
  if (!raw) return undefined;
  const [at, id] = Buffer.from(raw, "base64url").toString().split("|");
  const date = new Date(at ?? "");
  if (!id || Number.isNaN(date.getTime())) throw Errors.invalidField("cursor", "cursor is not one this API returned.");
  return { at: date, id };
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString("base64url");
}

/** The rows of a page (one more was read to know whether another page follows) and its cursor. */
function pageOf<R extends { id: string }, T>(rows: R[], limit: number, at: (row: R) => Date, map: (row: R) => T): Page<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(map), next_cursor: rows.length > limit && last ? encodeCursor(at(last), last.id) : null };
}

function statusFilter(raw: string | undefined): TraceFilter["status"] {
  if (raw === "ok" || raw === "error") return raw;
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100 || n > 599) throw Errors.invalidField("status", "status must be ok, error or an HTTP status.");
  return n;
}

function toolsFilter(raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (raw === "true" || raw === "false") return raw === "true";
  throw Errors.invalidField("tools", "tools must be true or false.");
}

function textFilter(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length > 500) throw Errors.invalidField("q", "q must be at most 500 characters.");
  return raw || undefined;
}

function dateFilter(name: "from" | "to", raw: string | undefined): Date | undefined {
  if (!raw) return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw Errors.invalidField(name, `${name} must be an ISO date-time.`);
  return d;
}

function noDatabase(): ProxyError {
  return Errors.adminNoDatabase();
}

export async function adminBrowseRoutes(scope: FastifyInstance): Promise<void> {
  traceRoutes(scope);
  responseRoutes(scope);
}

function storesOf(scope: FastifyInstance) {
  const runtime = scope.runtime;
  return () => {
    if (!runtime.database) throw noDatabase();
    return { traces: new TraceStore(runtime.database), responses: new StoredResponseList(runtime.database) };
  };
}

function traceRoutes(scope: FastifyInstance): void {
  const app = typed(scope);
  const runtime = scope.runtime;
  const onRequest = requireAdmin(() => runtime.config.adminPassword);
  const stores = storesOf(scope);

  app.get("/admin/traces", { onRequest, schema: { querystring: TraceListQuery, response: { 200: Page(TraceSummary) } } }, async (request) => {
    const q = request.query;
    const limit = limitOf(q.limit);
    const filter: TraceFilter = {
      after: decodeCursor(q.cursor),
      model: q.model,
      keyId: q.key,
      clientFormat: q.client,
      backend: q.backend,
      status: statusFilter(q.status),
      finishReason: q.finish,
      toolCalls: toolsFilter(q.tools),
      from: dateFilter("from", q.from),
      to: dateFilter("to", q.to),
      text: textFilter(q.q),
    };
    const { traces } = stores();
    // Traces finished a moment ago may still wait in the writer's queue.
    await runtime.ops.sink?.flush();
    return pageOf(await traces.list(filter, limit + 1), limit, (r) => r.startedAt, summaryOf);
  });

  app.get("/admin/traces/:id", { onRequest, schema: { params: IdParams, response: { 200: TraceDetail } } }, async (request) => {
    const running = runtime.ops.running.get(request.params.id);
    if (running) {
      const summary = running.summary();
      return withDetail({ ...summary, ...formatsOf(summary) }, running.detail(redactorFor(runtime.config)));
    }
    const { traces } = stores();
    await runtime.ops.sink?.flush();
    const row = await traces.get(request.params.id);
    if (!row) throw Errors.adminNotFound(`No trace with id '${request.params.id}'.`);
    return withDetail(summaryOf(row), JSON.parse(row.detail));
  });
}

function responseRoutes(scope: FastifyInstance): void {
  const app = typed(scope);
  const runtime = scope.runtime;
  const onRequest = requireAdmin(() => runtime.config.adminPassword);
  const stores = storesOf(scope);

  app.get("/admin/responses", { onRequest, schema: { querystring: ResponseListQuery, response: { 200: Page(StoredResponseSummary) } } }, async (request) => {
    const q = request.query;
    const limit = limitOf(q.limit);
    const filter = {
      after: decodeCursor(q.cursor),
      model: q.model,
      ownerKeyId: q.key,
      from: dateFilter("from", q.from),
      to: dateFilter("to", q.to),
      text: q.q,
    };
    const rows = await stores().responses.list(filter, limit + 1);
    return pageOf(
      rows,
      limit,
      (r) => r.createdAt,
      (r) => ({
        id: r.id,
        model: r.model,
        keyId: r.ownerKeyId,
        status: r.status,
        createdAt: r.createdAt.toISOString(),
        expiresAt: r.expiresAt.toISOString(),
        previousResponseId: r.previousResponseId,
        preview: previewOf(r.outputItems),
      }),
    );
  });

  app.get("/admin/responses/:id", { onRequest, schema: { params: IdParams, response: { 200: StoredResponseDetail } } }, async (request) => {
    const found = await runtime.responses.get(request.params.id);
    if (!found) throw Errors.responseNotFound(request.params.id);
    // As far back as it is stored, up to the chain limit (the newest turns).
    const { turns } = await walkChain(runtime.responses, found.id);
    const chain: StoredResponseDetail["chain"] = turns.map((t) => ({
      id: t.id,
      model: t.model,
      createdAt: new Date(t.createdAt).toISOString(),
      status: t.status,
    }));
    const children = runtime.database ? await new StoredResponseList(runtime.database).childrenOf(found.id) : [];
    return {
      response: found.response as StoredResponseDetail["response"],
      inputItems: found.inputItems,
      keyId: found.ownerKeyId ?? null,
      backend: found.backend,
      chain,
      children,
    };
  });
}

function previewOf(outputItems: string): string {
  try {
    const items = JSON.parse(outputItems) as Array<{ type?: string; content?: Array<{ type?: string; text?: string; refusal?: string }>; name?: string }>;
    for (const item of items) {
      if (item.type === "message") {
        const text = (item.content ?? []).map((p) => p.text ?? p.refusal ?? "").join("");
        if (text) return text.slice(0, 200);
      }
      if (item.type === "function_call") return `→ ${item.name ?? "tool"}(…)`;
    }
  } catch {
    // No preview.
  }
  return "";
}
