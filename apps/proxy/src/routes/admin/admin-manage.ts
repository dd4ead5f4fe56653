// Models management, as yaLLMproxy's /admin/models offers. Every change is an edit of the config
// file's text that rewrites only the entry it touches (comments, layout and the rest of the file
// stay as the operator wrote them), validated and applied like `PUT /admin/config`, so it gets a
// version, reaches the other replicas and can be rolled back. Upstream secrets given in clear go to
// configs/.env and the config refers to them as `${VAR}`.

import {
  ConfigApplied,
  ConfigInvalid,
  ModelCopyQuery,
  ModelDeleteQuery,
  ModelHasDependents,
  ModelParams,
  ModelRegister,
  ModelSaved,
  ModelsDeleted,
  ModelUpdate,
} from "@yallmproxy/api";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ConfigManager } from "../../config/config-manager.js";
import { readDotEnv } from "../../config/env.js";
import { ExtendsTree } from "../../config/extends-tree.js";
import { unmaskSecrets } from "../../config/secret-mask.js";
import { YamlEditor } from "../../config/yaml-edit.js";
import { PayloadError, isYallmproxyPayload, modelFromYallmproxyPayload } from "../../config/yallmproxy-model-payload.js";
import { Errors } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { adminKeyRoutes } from "./admin-keys.js";
import { adminModelTreeRoutes } from "./admin-model-tree.js";
import {
  type EnvChanges,
  dropOwnFallbacks,
  dropUnusedModelVariables,
  editing,
  entriesOf,
  fallbacksOf,
  indexOf,
  modelSecretsToEnv,
  setFallbacks,
  setText,
} from "./admin-edit.js";

const answers = { 200: ConfigApplied, 400: ConfigInvalid };
const TRUE = new Set(["1", "true", "yes", "on"]);

export async function adminManageRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  await scope.register(modelAddRoutes, opts);
  await scope.register(modelEditRoutes, opts);
  await scope.register(adminModelTreeRoutes);
  await scope.register(adminKeyRoutes, opts);
}

/**
 * The config text with `entry` stored as model `name` (replacing the item at `at`, or added last),
 * its clear secrets moved to `env`. A replaced entry's variables are its to reuse.
 */
function storeModel(text: string, envPath: string, name: string, at: number, entry: Record<string, unknown>): { editor: YamlEditor; env: EnvChanges } {
  const others = new YamlEditor(text);
  if (at >= 0) others.remove(["model_list"], at);
  const taken: EnvChanges = { ...readDotEnv(envPath), ...process.env };
  dropUnusedModelVariables(text, others.text, taken);
  const env: EnvChanges = {};
  const stored = modelSecretsToEnv(entry, name, env, taken, others.text);
  const editor = new YamlEditor(text);
  if (at >= 0) editor.replace(["model_list"], at, stored);
  else editor.append(["model_list"], stored);
  return { editor, env };
}

/** Variables the final text no longer uses leave .env (a "***" sent back keeps its running value). */
function finish(before: string, editor: YamlEditor, env: EnvChanges): EnvChanges {
  dropUnusedModelVariables(before, unmaskSecrets(editor.text, before), env);
  return env;
}

/** The running model list and the edits of it that the model routes share. */
function modelContext(scope: FastifyInstance, manager: ConfigManager) {
  const { text, edit, onRequest } = editing(scope, manager);
  const entryOf = (name: string) => entriesOf(text(), ["model_list"]).find((m) => m.get("model_name") === name);
  const isProtected = (name: string) => entryOf(name)?.get("protected") === true;
  const modelAt = (name: string): number => {
    const at = indexOf(text(), ["model_list"], "model_name", name);
    if (at < 0) throw Errors.adminNotFound(`No model named '${name}'.`);
    return at;
  };
  return { manager, text, edit, onRequest, entryOf, isProtected, modelAt };
}
type ModelContext = ReturnType<typeof modelContext>;

/** yaLLMproxy's register: the entry replaces one of that name (keeping its api_key and extends) or is added. */
async function registerModel(ctx: ModelContext, reply: FastifyReply, body: Record<string, unknown>) {
  const { text } = ctx;
  let payload;
  try {
    payload = modelFromYallmproxyPayload(body);
  } catch (err) {
    if (err instanceof PayloadError) throw Errors.invalidField(err.param, err.message);
    throw err;
  }
  const { name, entry, fallbacks } = payload;
  const at = indexOf(text(), ["model_list"], "model_name", name);
  if (at >= 0) {
    if (ctx.isProtected(name)) throw Errors.adminModelProtected(name);
    const existing = ctx.entryOf(name)!.toJSON() as Record<string, unknown>;
    const params = entry.model_params as Record<string, unknown>;
    const before = (existing.model_params ?? {}) as Record<string, unknown>;
    if (!payload.hasApiKey && before.api_key !== undefined) params.api_key = before.api_key;
    if (entry.extends === undefined && existing.extends !== undefined) entry.extends = existing.extends;
  }
  const { editor, env } = storeModel(text(), ctx.manager.envPath, name, at, entry);
  if (fallbacks !== undefined) setFallbacks(editor, name, fallbacks);
  const answer = {
    status: "ok" as const,
    model: name,
    replaced: at >= 0,
    fallbacks: fallbacks ?? fallbacksOf(text(), name),
    protected: entry.protected === true,
  };
  const entryAt = at >= 0 ? at : entriesOf(text(), ["model_list"]).length;
  return ctx.edit(reply, at >= 0 ? "admin (replace model)" : "admin (add model)", setText(editor.text, answer), finish(text(), editor, env), entryAt);
}

async function modelAddRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const ctx = modelContext(scope, opts.config);
  const { text, edit, onRequest } = ctx;

  app.post("/admin/models", { onRequest, schema: { body: ModelRegister, response: { 200: ModelSaved, 400: ConfigInvalid } } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    if (isYallmproxyPayload(body)) return registerModel(ctx, reply, body);
    const name = typeof body.model_name === "string" ? body.model_name : "";
    if (!name) throw Errors.invalidField("model_name", "model_name is required");
    if (scope.runtime.config.models.has(name) || indexOf(text(), ["model_list"], "model_name", name) >= 0) throw Errors.adminModelExists(name, "model_name");
    const { editor, env } = storeModel(text(), opts.config.envPath, name, -1, body);
    const answer = { status: "ok" as const, model: name, replaced: false, fallbacks: fallbacksOf(text(), name), protected: body.protected === true };
    return edit(reply, "admin (add model)", setText(editor.text, answer), env, entriesOf(text(), ["model_list"]).length);
  });

  app.post("/admin/models/copy", { onRequest, schema: { querystring: ModelCopyQuery, response: answers } }, async (request, reply) => {
    const { source, target } = request.query;
    if (!source) throw Errors.invalidField("source", "source names the model to copy.");
    if (!target) throw Errors.invalidField("target", "target names the new model.");
    const at = ctx.modelAt(source);
    if (indexOf(text(), ["model_list"], "model_name", target) >= 0) throw Errors.adminModelExists(target, "target");
    const copy = (entriesOf(text(), ["model_list"])[at]?.toJSON() ?? {}) as Record<string, unknown>;
    return edit(reply, "admin (copy model)", (editor) => {
      editor.append(["model_list"], { ...copy, model_name: target, protected: false });
      return { model: target, status: "ok" as const, message: `Model '${source}' copied to '${target}'` };
    });
  });
}

async function modelEditRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const ctx = modelContext(scope, opts.config);
  const { text, edit, onRequest, isProtected, modelAt } = ctx;

  app.put("/admin/models/:name", { onRequest, schema: { params: ModelParams, body: ModelUpdate, response: answers } }, async (request, reply) => {
    const name = request.params.name;
    const at = modelAt(name);
    if (isProtected(name)) throw Errors.adminModelProtected(name);
    const { editor, env } = storeModel(text(), opts.config.envPath, name, at, { ...request.body, model_name: name });
    return edit(reply, "admin (update model)", setText(editor.text), finish(text(), editor, env), at);
  });

  const deleted = { 200: ModelsDeleted, 400: ConfigInvalid, 409: ModelHasDependents };
  app.delete(
    "/admin/models/:name",
    { onRequest, schema: { params: ModelParams, querystring: ModelDeleteQuery, response: deleted } },
    async (request, reply) => {
      const name = request.params.name;
      modelAt(name);
      const tree = ExtendsTree.ofText(text());
      const cascade = TRUE.has((request.query.cascade ?? "").trim().toLowerCase());
      const children = tree.childrenOf(name);
      if (children.length > 0 && !cascade) return reply.code(409).send(dependentsRefusal(text(), name, children));
      const names = [name, ...(cascade ? tree.descendantsOf(name) : [])];
      for (const n of names) if (isProtected(n)) throw Errors.adminModelProtected(n);
      const editor = new YamlEditor(text());
      const items = entriesOf(text(), ["model_list"]);
      for (let i = items.length - 1; i >= 0; i--) if (names.includes(String(items[i]!.get("model_name")))) editor.remove(["model_list"], i);
      dropOwnFallbacks(editor, names);
      const env: EnvChanges = {};
      dropUnusedModelVariables(text(), editor.text, env);
      const answer = { deleted: name, status: "ok" as const, message: `Deleted ${names.length} model(s)`, deleted_models: names };
      return edit(reply, "admin (delete model)", setText(editor.text, answer), env);
    },
  );
}

/** yaLLMproxy's refusal of a delete that would orphan models extending this one, with each at its path. */
function dependentsRefusal(configText: string, name: string, dependents: string[]): ModelHasDependents {
  const items = entriesOf(configText, ["model_list"]);
  const errors = dependents.map((child) => ({
    path: `model_list[${items.findIndex((m) => m.get("model_name") === child)}].extends`,
    message: `model "${child}" extends "${name}": delete it too (cascade=true) or give it another parent`,
  }));
  return {
    error: {
      message: `Cannot delete model with existing dependents: ${dependents.join(", ")} extend '${name}'.`,
      type: "invalid_request_error",
      param: "cascade",
      code: "model_has_dependents",
    },
    errors,
    dependents,
    hint: "Set cascade=true to delete dependents, or update them to use a different parent",
  };
}
