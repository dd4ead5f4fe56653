// The admin REST API (docs/admin-api.md): sign-in, traces, stored responses and their chains,
// config with versions and rollback, models and keys.

import type { FastifyInstance } from "fastify";
import type { TraceRecord } from "@yallmproxy/db";
import { parseDocument } from "yaml";
import { ConfigValidationError, type ConfigManager, maskSecrets } from "../../config/config-manager.js";
import { Errors, ProxyError } from "../../errors.js";
import { redactUrl, redactorFor } from "../../ops/redact.js";
import type { TraceSummary } from "../../ops/trace.js";
import { adminCredential, adminDisabled, adminUnauthorized, checkAdminOrigin, clearedSessionCookie, passwordMatches, requireAdmin, sessionCookie } from "./admin-auth.js";

type TraceRow = TraceRecord;

function summaryOf(row: Omit<TraceRow, "detail">): TraceSummary {
  return {
    id: row.id,
    startedAt: row.startedAt.toISOString(),
    model: row.model,
    keyId: row.keyId,
    clientFormat: row.clientFormat,
    backend: row.backend,
    backendFormat: row.backendFormat,
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
  };
}

function limitOf(raw: unknown, fallback = 50): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw Errors.invalidField("limit", "limit must be an integer from 1 to 200.");
  return n;
}

/** Cursor = `<ISO time>|<id>` of the last row of the previous page (newest first). */
function decodeCursor(raw: unknown): { at: Date; id: string } | undefined {
  if (typeof raw !== "string" || !raw) return undefined;
  const [at, id] = Buffer.from(raw, "base64url").toString().split("|");
  const date = new Date(at ?? "");
  if (!id || Number.isNaN(date.getTime())) throw Errors.invalidField("cursor", "cursor is not one this API returned.");
  return { at: date, id };
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString("base64url");
}

function pageWhere(cursor: { at: Date; id: string } | undefined, field: "startedAt" | "createdAt"): Record<string, unknown> {
  if (!cursor) return {};
  return { OR: [{ [field]: { lt: cursor.at } }, { [field]: cursor.at, id: { lt: cursor.id } }] };
}

export async function adminRoutes(app: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const manager = opts.config;
  const runtime = app.runtime;
  const password = () => runtime.config.adminPassword;
  const guarded = { onRequest: requireAdmin(password) };
  const db = () => {
    if (!runtime.database) throw new ProxyError(503, "No database is configured.", { code: "no_database" });
    return runtime.database.prisma;
  };

  app.post("/admin/login", async (request, reply) => {
    const pw = password();
    if (!pw) throw adminDisabled();
    // The cookie it sets is one a page elsewhere must not plant either.
    checkAdminOrigin(request, "cookie");
    const given = (request.body as { password?: unknown } | undefined)?.password;
    if (!passwordMatches(pw, given)) throw adminUnauthorized();
    reply.header("set-cookie", sessionCookie(pw));
    return { ok: true };
  });

  app.post("/admin/logout", async (_request, reply) => {
    reply.header("set-cookie", clearedSessionCookie);
    return { ok: true };
  });

  app.get("/admin/session", async (request) => {
    const pw = password();
    if (!pw) throw adminDisabled();
    const credential = adminCredential(request, pw);
    if (!credential) throw adminUnauthorized();
    checkAdminOrigin(request, credential);
    return { authenticated: true };
  });

  // Needs no credential: the sign-in page says when there is nothing to sign in to. On or off only.
  app.get("/admin/status", async () => ({ enabled: password() !== undefined }));

  // ─── traces ───
  app.get<{ Querystring: Record<string, string | undefined> }>("/admin/traces", guarded, async (request) => {
    const q = request.query;
    const limit = limitOf(q.limit);
    // Traces finished a moment ago may still wait in the writer's queue.
    await runtime.ops.sink?.flush();
    const where: Record<string, unknown> = { ...pageWhere(decodeCursor(q.cursor), "startedAt") };
    if (q.model) where.model = q.model;
    if (q.key) where.keyId = q.key;
    if (q.client) where.clientFormat = q.client;
    if (q.status === "ok") where.status = { lt: 400 };
    else if (q.status === "error") where.status = { gte: 400 };
    else if (q.status !== undefined && q.status !== "") {
      const n = Number(q.status);
      if (!Number.isInteger(n) || n < 100 || n > 599) throw Errors.invalidField("status", "status must be ok, error or an HTTP status.");
      where.status = n;
    }
    const rows = (await db().trace.findMany({
      where,
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      take: limit + 1,
      omit: { detail: true },
    })) as Array<Omit<TraceRow, "detail">>;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { data: page.map(summaryOf), next_cursor: rows.length > limit && last ? encodeCursor(last.startedAt, last.id) : null };
  });

  app.get<{ Params: { id: string } }>("/admin/traces/:id", guarded, async (request) => {
    const running = runtime.ops.running.get(request.params.id);
    if (running) return { ...running.summary(), ...running.detail(redactorFor(runtime.config)) };
    await runtime.ops.sink?.flush();
    const row: TraceRow | null = await db().trace.findUnique({ where: { id: request.params.id } });
    if (!row) throw new ProxyError(404, `No trace with id '${request.params.id}'.`, { code: "not_found" });
    return { ...summaryOf(row), ...(JSON.parse(row.detail) as Record<string, unknown>) };
  });

  // ─── stored responses ───
  app.get<{ Querystring: Record<string, string | undefined> }>("/admin/responses", guarded, async (request) => {
    const q = request.query;
    const limit = limitOf(q.limit);
    const conditions: Array<Record<string, unknown>> = [pageWhere(decodeCursor(q.cursor), "createdAt")];
    if (q.model) conditions.push({ model: q.model });
    if (q.key) conditions.push({ ownerKeyId: q.key });
    for (const [name, op] of [["from", "gte"], ["to", "lte"]] as const) {
      const v = q[name];
      if (!v) continue;
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) throw Errors.invalidField(name, `${name} must be an ISO date-time.`);
      conditions.push({ createdAt: { [op]: d } });
    }
    if (q.q) conditions.push({ OR: [{ inputItems: { contains: q.q } }, { outputItems: { contains: q.q } }] });
    const where = { AND: conditions };
    const rows = (await db().storedResponse.findMany({
      where,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit + 1,
      select: { id: true, model: true, ownerKeyId: true, status: true, createdAt: true, previousResponseId: true, outputItems: true, expiresAt: true },
    })) as Array<{ id: string; model: string; ownerKeyId: string | null; status: string; createdAt: Date; previousResponseId: string | null; outputItems: string; expiresAt: Date }>;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        id: r.id,
        model: r.model,
        keyId: r.ownerKeyId,
        status: r.status,
        createdAt: r.createdAt.toISOString(),
        expiresAt: r.expiresAt.toISOString(),
        previousResponseId: r.previousResponseId,
        preview: previewOf(r.outputItems),
      })),
      next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  });

  app.get<{ Params: { id: string } }>("/admin/responses/:id", guarded, async (request) => {
    const found = await runtime.responses.get(request.params.id);
    if (!found) throw new ProxyError(404, `Response with id '${request.params.id}' not found.`, { code: "not_found" });
    const chain: Array<{ id: string; model: string; createdAt: string; status: string }> = [];
    let cursor: typeof found | undefined = found;
    while (cursor && chain.length < 1000) {
      chain.unshift({ id: cursor.id, model: cursor.model, createdAt: new Date(cursor.createdAt).toISOString(), status: cursor.status });
      cursor = cursor.previousResponseId ? await runtime.responses.get(cursor.previousResponseId) : undefined;
    }
    const children = runtime.database
      ? ((await runtime.database.prisma.storedResponse.findMany({ where: { previousResponseId: found.id }, select: { id: true }, orderBy: { createdAt: "asc" } })) as Array<{ id: string }>).map((r) => r.id)
      : [];
    return { response: found.response, inputItems: found.inputItems, keyId: found.ownerKeyId ?? null, backend: found.backend, chain, children };
  });

  // ─── config ───
  app.get("/admin/config", guarded, async () => {
    const versions = await manager.versions(1);
    return { yaml: maskSecrets(runtime.config.source.text), version: versions[0]?.version ?? null, path: manager.path };
  });

  const yamlOf = (body: unknown): string => {
    const yaml = (body as { yaml?: unknown } | undefined)?.yaml;
    if (typeof yaml !== "string") throw Errors.invalidField("yaml", "yaml must be the config text.");
    return yaml;
  };
  const validationError = (err: unknown) => {
    if (!(err instanceof ConfigValidationError)) throw err;
    const first = err.problems[0];
    return {
      error: { message: `The config is invalid: ${err.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`, type: "invalid_request_error", param: first?.path ?? null, code: "invalid_config" },
      errors: err.problems,
    };
  };

  // A draft that does not validate is a normal answer here (200, valid: false); PUT refuses it with 400.
  app.post("/admin/config/validate", guarded, async (request) => {
    try {
      const loaded = manager.validate(yamlOf(request.body));
      return { valid: true, warnings: loaded.warnings, models: [...loaded.config.models.keys()] };
    } catch (err) {
      return { valid: false, ...validationError(err) };
    }
  });

  app.put("/admin/config", guarded, async (request, reply) => {
    const author = (request.body as { author?: unknown } | undefined)?.author;
    try {
      return await manager.apply(yamlOf(request.body), typeof author === "string" && author ? author : "admin");
    } catch (err) {
      return reply.code(400).send(validationError(err));
    }
  });

  app.get("/admin/config/versions", guarded, async () => ({ data: await manager.versions() }));

  app.get<{ Params: { version: string } }>("/admin/config/versions/:version", guarded, async (request) => {
    const n = Number(request.params.version);
    if (!/^\d{1,9}$/.test(request.params.version) || n < 1) throw Errors.invalidField("version", "version must be a positive integer.");
    const v = await manager.version(n);
    if (!v) throw new ProxyError(404, `No config version ${request.params.version}.`, { code: "not_found" });
    return v;
  });

  app.post("/admin/config/rollback", guarded, async (request, reply) => {
    const version = Number((request.body as { version?: unknown } | undefined)?.version);
    if (!Number.isInteger(version) || version < 1 || version > 2 ** 31 - 1) throw Errors.invalidField("version", "version must be a version number.");
    try {
      const result = await manager.rollback(version, "admin");
      if (!result) throw new ProxyError(404, `No config version ${version}.`, { code: "not_found" });
      return result;
    } catch (err) {
      if (err instanceof ConfigValidationError) return reply.code(400).send(validationError(err));
      throw err;
    }
  });

  app.get("/admin/models", guarded, async () => {
    const config = runtime.config;
    const extendsOf = new Map<string, string>();
    const doc = parseDocument(config.source.text).toJS() as { model_list?: Array<{ model_name?: unknown; extends?: unknown }> } | null;
    for (const m of doc?.model_list ?? []) if (typeof m.model_name === "string" && typeof m.extends === "string") extendsOf.set(m.model_name, m.extends);
    return {
      data: [...config.models.values()].map((r) => ({
        name: r.name,
        apiType: r.apiType,
        apiBase: redactUrl(r.apiBase),
        upstreamModel: r.upstreamModel,
        extends: extendsOf.get(r.name) ?? null,
        children: [...extendsOf.entries()].filter(([, parent]) => parent === r.name).map(([child]) => child),
        fallbacks: config.fallbacks.get(r.name) ?? [],
        protected: r.protected,
        allowedKeys: r.allowedKeys instanceof Set ? [...r.allowedKeys] : r.allowedKeys,
        traceCapture: r.traceCapture ?? config.traces.capture,
      })),
    };
  });

  app.get("/admin/keys", guarded, async () => ({
    enabled: runtime.config.appKeys.enabled,
    data: runtime.config.appKeys.keys.map((k) => ({
      keyId: k.keyId,
      name: k.name ?? null,
      enabled: k.enabled,
      concurrencyLimit: k.concurrency.concurrencyLimit,
      priority: k.concurrency.priority,
      queueTimeout: k.concurrency.queueTimeoutMs === undefined ? null : k.concurrency.queueTimeoutMs / 1000,
    })),
  }));
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
