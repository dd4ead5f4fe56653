// The admin REST API (docs/admin-api.md): sign-in, config with versions and rollback, models and
// keys; what the proxy recorded (traces, stored responses) is admin-browse.ts's.

import {
  AdminStatus,
  ConfigApplied,
  ConfigInvalid,
  ConfigReloaded,
  ConfigText,
  ConfigVersion,
  ConfigVersionList,
  KeyList,
  LoginBody,
  ModelList,
  Ok,
  RollbackBody,
  RunningConfig,
  SessionState,
  ValidationAnswer,
  VersionParams,
} from "@yallmproxy/api";
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { parseDocument } from "yaml";
import type { ConfigManager } from "../../config/config-manager.js";
import { ExtendsTree } from "../../config/extends-tree.js";
import { maskSecrets } from "../../config/secret-mask.js";
import { Errors } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { redactUrl } from "../../ops/redact.js";
import {
  adminCredential,
  adminDisabled,
  adminUnauthorized,
  checkAdminOrigin,
  clearedSessionCookie,
  passwordMatches,
  requireAdmin,
  sessionCookie,
} from "./admin-auth.js";
import { adminBrowseRoutes } from "./admin-browse.js";
import { entriesOf, invalidConfig } from "./admin-edit.js";
import { withoutSecret } from "./admin-keys.js";
import { adminUsageRoutes } from "./admin-usage.js";

export async function adminRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  await scope.register(sessionRoutes);
  await scope.register(configRoutes, opts);
  await scope.register(catalogRoutes);
  await scope.register(adminBrowseRoutes);
  await scope.register(adminUsageRoutes);
}

async function sessionRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  const password = () => scope.runtime.config.adminPassword;

  // Off is said before the body is looked at: a sign-in to an admin API that is off is a 404 whatever it sends.
  const enabled = async () => {
    if (!password()) throw adminDisabled();
  };
  app.post("/admin/login", { onRequest: enabled, schema: { body: LoginBody, response: { 200: Ok } } }, async (request, reply) => {
    const pw = password();
    if (!pw) throw adminDisabled();
    // The cookie it sets is one a page elsewhere must not plant either.
    checkAdminOrigin(request, "cookie");
    if (!passwordMatches(pw, request.body.password)) throw adminUnauthorized();
    reply.header("set-cookie", sessionCookie(pw));
    return { ok: true } as const;
  });

  app.post("/admin/logout", { schema: { response: { 200: Ok } } }, async (_request, reply) => {
    reply.header("set-cookie", clearedSessionCookie);
    return { ok: true } as const;
  });

  app.get("/admin/session", { schema: { response: { 200: SessionState } } }, async (request) => {
    const pw = password();
    if (!pw) throw adminDisabled();
    const credential = adminCredential(request, pw);
    if (!credential) throw adminUnauthorized();
    checkAdminOrigin(request, credential);
    return { authenticated: true } as const;
  });

  // Needs no credential: the sign-in page says when there is nothing to sign in to. On or off only.
  app.get("/admin/status", { schema: { response: { 200: AdminStatus } } }, async () => ({ enabled: password() !== undefined }));
}

async function configRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const manager = opts.config;
  const runtime = scope.runtime;
  const onRequest = requireAdmin(() => runtime.config.adminPassword);

  app.get("/admin/config", { onRequest, schema: { response: { 200: RunningConfig } } }, async () => {
    const versions = await manager.versions(1);
    return { yaml: maskSecrets(runtime.config.source.text), version: versions[0]?.version ?? null, path: manager.path };
  });

  // A draft that does not validate is a normal answer here (200, valid: false); PUT refuses it with 400.
  app.post("/admin/config/validate", { onRequest, schema: { body: ConfigText, response: { 200: ValidationAnswer } } }, async (request) => {
    try {
      const loaded = manager.validate(request.body.yaml);
      return { valid: true as const, warnings: loaded.warnings, models: [...loaded.config.models.keys()] };
    } catch (err) {
      return { valid: false as const, ...invalidConfig(err) };
    }
  });

  const applied = { 200: ConfigApplied, 400: ConfigInvalid };
  app.put("/admin/config", { onRequest, schema: { body: ConfigText, response: applied } }, async (request, reply) => {
    try {
      return await manager.apply(request.body.yaml, request.body.author || "admin");
    } catch (err) {
      return reply.code(400).send(invalidConfig(err));
    }
  });

  // yaLLMproxy's reload: the file (and configs/.env) read again and applied as a new version.
  app.post("/admin/config/reload", { onRequest, schema: { response: { 200: ConfigReloaded, 400: ConfigInvalid } } }, async (_request, reply) => {
    let yaml: string;
    try {
      yaml = await readFile(manager.path, "utf8");
    } catch (err) {
      throw Errors.adminNotFound(`Cannot read ${manager.path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    try {
      const applied = await manager.apply(yaml, "admin (reload)", { writeFile: false, fromFile: true });
      return { ...applied, status: "ok" as const, message: "Configuration reloaded successfully", models_count: runtime.config.models.size };
    } catch (err) {
      return reply.code(400).send(invalidConfig(err, "The config file is invalid; the running config stays in force"));
    }
  });

  app.get("/admin/config/versions", { onRequest, schema: { response: { 200: ConfigVersionList } } }, async () => ({ data: await manager.versions() }));

  app.get("/admin/config/versions/:version", { onRequest, schema: { params: VersionParams, response: { 200: ConfigVersion } } }, async (request) => {
    const n = Number(request.params.version);
    if (n < 1) throw Errors.invalidField("version", "version must be a positive integer.");
    const v = await manager.version(n);
    if (!v) throw Errors.adminNotFound(`No config version ${request.params.version}.`);
    return v;
  });

  app.post("/admin/config/rollback", { onRequest, schema: { body: RollbackBody, response: applied } }, async (request, reply) => {
    const { version } = request.body;
    try {
      const result = await manager.rollback(version, "admin");
      if (!result) throw Errors.adminNotFound(`No config version ${version}.`);
      return result;
    } catch (err) {
      return reply.code(400).send(invalidConfig(err));
    }
  });
}

/** The models and keys the running config has. */
async function catalogRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  const runtime = scope.runtime;
  const onRequest = requireAdmin(() => runtime.config.adminPassword);

  app.get("/admin/models", { onRequest, schema: { response: { 200: ModelList } } }, async () => {
    const config = runtime.config;
    const extendsOf = new Map<string, string>();
    const doc = parseDocument(config.source.text).toJS() as { model_list?: Array<{ model_name?: unknown; extends?: unknown }> } | null;
    for (const m of doc?.model_list ?? []) if (typeof m.model_name === "string" && typeof m.extends === "string") extendsOf.set(m.model_name, m.extends);
    // yaLLMproxy's lists: every entry resolved through `extends`, flagged as its admin page reads them.
    const tree = ExtendsTree.ofText(maskSecrets(config.source.text));
    const listed = tree.names.map((name) => {
      const entry = tree.resolved(name)!;
      const isProtected = entry.protected === true;
      const parent = tree.get(name)!.parent;
      return { ...entry, protected: isProtected, editable: !isProtected, ...(parent ? { _inherited_from: parent } : {}) };
    });
    return {
      protected: listed.filter((m) => m.protected),
      unprotected: listed.filter((m) => !m.protected),
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
        responseModules: r.responseModules?.modules.map((m) => m.name) ?? [],
      })),
    };
  });

  app.get("/admin/keys", { onRequest, schema: { response: { 200: KeyList } } }, async () => {
    const keys = runtime.config.appKeys;
    // The entries as written (no secret): the key's own limits, and yaLLMproxy's `keys`.
    const written = new Map(
      entriesOf(runtime.config.source.text, ["app_keys", "keys"]).map((e) => [String(e.get("key_id")), withoutSecret(e.toJSON() as Record<string, unknown>)]),
    );
    const num = (v: unknown) => (typeof v === "number" ? v : null);
    return {
      enabled: keys.enabled,
      header_name: keys.headerName,
      allow_unauthenticated: keys.allowUnauthenticated,
      keys: [...written.values()],
      data: keys.keys.map((k) => {
        const own: Record<string, unknown> = written.get(k.keyId) ?? {};
        return {
          keyId: k.keyId,
          name: k.name ?? null,
          enabled: k.enabled,
          concurrencyLimit: k.concurrency.concurrencyLimit,
          priority: k.concurrency.priority,
          queueTimeout: k.concurrency.queueTimeoutMs === undefined ? null : k.concurrency.queueTimeoutMs / 1000,
          rpmLimit: num(own.rpm_limit),
          tpmLimit: num(own.tpm_limit),
          maxBudget: num(own.max_budget),
          budgetDuration: typeof own.budget_duration === "string" ? own.budget_duration : null,
        };
      }),
    };
  });
}
