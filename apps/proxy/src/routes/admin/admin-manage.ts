// Models and keys management, as yaLLMproxy's /admin/models and /admin/keys offer. Every change is
// an edit of the config file's text that rewrites only the entry it touches (comments, layout and
// the rest of the file stay as the operator wrote them), validated and applied like
// `PUT /admin/config`, so it gets a version, reaches the other replicas and can be rolled back.
// Secrets never go into the config file in clear: they are kept in configs/.env and the config
// refers to them as `${VAR}`.

import { randomBytes } from "node:crypto";
import { ConfigApplied, ConfigInvalid, IdParams, KeyEntry, ModelCopyQuery, ModelDetail, ModelEntry, ModelParams, ModelUpdate } from "@yallmproxy/api";
import type { FastifyInstance, FastifyReply } from "fastify";
import { isMap, isSeq, parseDocument, type YAMLMap } from "yaml";
import type { ConfigManager } from "../../config/config-manager.js";
import { MASK, ONLY_REFERENCES, maskSecrets, unmaskSecrets } from "../../config/secret-mask.js";
import { readDotEnv } from "../../config/env.js";
import { YamlEditor } from "../../config/yaml-edit.js";
import { Errors, type ProxyError } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { requireAdmin } from "./admin-auth.js";
import { invalidConfig } from "./admin-routes.js";

/** Variables this API creates for key secrets in configs/.env. */
const KEY_VAR_PREFIX = "YALLMP_KEY_";
/** …and for a model's upstream api_key and header values. */
const MODEL_VAR_PREFIX = "YALLMP_MODEL_";
const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The entries of the list at `path` of the config text (absent list = none). */
export function entriesOf(text: string, path: string[]): YAMLMap[] {
  const seq = parseDocument(text).getIn(path, true);
  return isSeq(seq) ? (seq.items.filter((i) => isMap(i)) as YAMLMap[]) : [];
}

function indexOf(text: string, path: string[], field: string, value: string): number {
  const seq = parseDocument(text).getIn(path, true);
  return isSeq(seq) ? seq.items.findIndex((item) => isMap(item) && item.get(field) === value) : -1;
}

function protectedModel(name: string): ProxyError {
  return Errors.adminModelProtected(name);
}

/** Problems inside `model_list[at]` also give their path within that entry, so a form can show each at its field. */
function withEntryFields(answer: ConfigInvalid, at: number | undefined): ConfigInvalid {
  if (at === undefined) return answer;
  const prefix = `model_list[${at}].`;
  return { ...answer, errors: answer.errors.map((p) => (p.path.startsWith(prefix) ? { ...p, field: p.path.slice(prefix.length) } : p)) };
}

/** Every change answers what applying it did, or 400 with every problem it would cause. */
const answers = { 200: ConfigApplied, 400: ConfigInvalid };

export async function adminManageRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  await scope.register(modelRoutes, opts);
  await scope.register(keyRoutes, opts);
}

/** What the models and keys calls share: the running text, and applying an edit of it. */
export function editing(scope: FastifyInstance, manager: ConfigManager) {
  const text = () => scope.runtime.config.source.text;

  /** Applies an edit of the running config text; answers 400 with every problem if it does not validate. */
  const edit = async (
    reply: FastifyReply,
    author: string,
    change: (editor: YamlEditor) => Partial<ConfigApplied> | void,
    env?: Record<string, string | undefined>,
    entryAt?: number,
  ) => {
    const editor = new YamlEditor(text());
    const result = change(editor);
    try {
      const applied = await manager.apply(editor.text, author, env ? { env } : {});
      return { ...applied, ...result };
    } catch (err) {
      return reply.code(400).send(withEntryFields(invalidConfig(err, "The change makes the config invalid"), entryAt));
    }
  };

  return { text, edit, onRequest: requireAdmin(() => scope.runtime.config.adminPassword) };
}

/** An edit that replaces the whole document with `next` (built on a copy first), answering `answer`. */
export function setText<T>(next: string, answer?: T): (editor: YamlEditor) => T | undefined {
  return (editor) => {
    editor.text = next;
    return answer;
  };
}

async function modelRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const manager = opts.config;
  const { text, edit, onRequest } = editing(scope, manager);
  const isProtected = (name: string) => {
    const entry = entriesOf(text(), ["model_list"]).find((m) => m.get("model_name") === name);
    return entry?.get("protected") === true;
  };
  const modelAt = (name: string): number => {
    const at = indexOf(text(), ["model_list"], "model_name", name);
    if (at < 0) throw Errors.adminNotFound(`No model named '${name}'.`);
    return at;
  };

  app.post("/admin/models", { onRequest, schema: { body: ModelEntry, response: answers } }, async (request, reply) => {
    const entry = request.body;
    const name = entry.model_name;
    if (scope.runtime.config.models.has(name) || indexOf(text(), ["model_list"], "model_name", name) >= 0) {
      throw Errors.adminModelExists(name, "model_name");
    }
    const env: Record<string, string | undefined> = {};
    const stored = modelSecretsToEnv(entry, name, env, { ...readDotEnv(manager.envPath), ...process.env }, text());
    const list = parseDocument(text()).get("model_list");
    const at = isSeq(list) ? list.items.length : 0;
    return edit(reply, "admin (add model)", (editor) => editor.append(["model_list"], stored), env, at);
  });

  app.get("/admin/models/:name", { onRequest, schema: { params: ModelParams, response: { 200: ModelDetail } } }, async (request) => {
    const name = request.params.name;
    const node = parseDocument(maskSecrets(text())).getIn(["model_list", modelAt(name)], true);
    const entry = (isMap(node) ? node.toJSON() : { model_name: name }) as ModelEntry;
    return { name, protected: scope.runtime.config.models.get(name)?.protected ?? entry.protected === true, entry };
  });

  app.put("/admin/models/:name", { onRequest, schema: { params: ModelParams, body: ModelUpdate, response: answers } }, async (request, reply) => {
    const entry = { ...request.body, model_name: request.params.name };
    const at = modelAt(request.params.name);
    if (isProtected(request.params.name)) throw protectedModel(request.params.name);
    // The variables of the entry being replaced are its to reuse: a new api_key keeps its variable's name.
    const others = new YamlEditor(text());
    others.remove(["model_list"], at);
    const taken: Record<string, string | undefined> = { ...readDotEnv(manager.envPath), ...process.env };
    dropUnusedModelVariables(text(), others.text, taken);
    const env: Record<string, string | undefined> = {};
    const stored = modelSecretsToEnv(entry, request.params.name, env, taken, others.text);
    const editor = new YamlEditor(text());
    editor.replace(["model_list"], at, stored);
    // A secret sent back as "***" keeps the running value, and so its variable.
    dropUnusedModelVariables(text(), unmaskSecrets(editor.text, text()), env);
    return edit(reply, "admin (update model)", setText(editor.text), env, at);
  });

  app.delete("/admin/models/:name", { onRequest, schema: { params: ModelParams, response: answers } }, async (request, reply) => {
    modelAt(request.params.name);
    if (isProtected(request.params.name)) throw protectedModel(request.params.name);
    const editor = new YamlEditor(text());
    // Every entry of the group goes (its other deployments too), the last first so indexes hold.
    const entries = entriesOf(text(), ["model_list"]);
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]?.get("model_name") === request.params.name) editor.remove(["model_list"], i);
    // Its own fallbacks go with it.
    dropOwnFallbacks(editor, request.params.name);
    const env: Record<string, string | undefined> = {};
    dropUnusedModelVariables(text(), editor.text, env);
    return edit(reply, "admin (delete model)", setText(editor.text, { deleted: request.params.name }), Object.keys(env).length ? env : undefined);
  });

  app.post("/admin/models/copy", { onRequest, schema: { querystring: ModelCopyQuery, response: answers } }, async (request, reply) => {
    const { source, target } = request.query;
    if (!source) throw Errors.invalidField("source", "source names the model to copy.");
    if (!target) throw Errors.invalidField("target", "target names the new model.");
    const at = modelAt(source);
    if (indexOf(text(), ["model_list"], "model_name", target) >= 0) throw Errors.adminModelExists(target, "target");
    const copy = (entriesOf(text(), ["model_list"])[at]?.toJSON() ?? {}) as Record<string, unknown>;
    return edit(reply, "admin (copy model)", (editor) => {
      editor.append(["model_list"], { ...copy, model_name: target, protected: false });
      return { model: target };
    });
  });
}

async function keyRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const manager = opts.config;
  const { text, edit, onRequest } = editing(scope, manager);

  app.post("/admin/keys", { onRequest, schema: { body: KeyEntry, response: answers } }, async (request, reply) => {
    const entry = request.body;
    const keyId = entry.key_id;
    if (scope.runtime.config.appKeys.keys.some((k) => k.keyId === keyId)) throw Errors.adminKeyExists(keyId);
    const given = entry.secret;
    // A generated secret is shown once, in this answer, and never again.
    const secret = given ?? `sk-yallmp-${randomBytes(24).toString("base64url")}`;
    // The secret goes to configs/.env; the config names it. A `${VAR}` of the caller's own is kept.
    const env: Record<string, string> = {};
    let reference = secret;
    if (!REFERENCE.test(secret)) {
      const name = freeVariable(
        `${KEY_VAR_PREFIX}${keyId.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`,
        { ...readDotEnv(manager.envPath), ...process.env },
        text(),
      );
      env[name] = secret;
      reference = `\${${name}}`;
    }
    const result = await edit(reply, "admin (add key)", (editor) => editor.append(["app_keys", "keys"], { ...entry, key_id: keyId, secret: reference }), env);
    if (reply.sent) return reply;
    return { ...result, key_id: keyId, ...(given ? {} : { secret }) };
  });

  app.delete("/admin/keys/:id", { onRequest, schema: { params: IdParams, response: answers } }, async (request, reply) => {
    const at = indexOf(text(), ["app_keys", "keys"], "key_id", request.params.id);
    if (at < 0) throw Errors.adminNotFound(`No key '${request.params.id}'.`);
    const secret = entriesOf(text(), ["app_keys", "keys"])[at]?.get("secret");
    const editor = new YamlEditor(text());
    editor.remove(["app_keys", "keys"], at);
    // The variable this API made for the key's secret leaves configs/.env with it.
    const variable = typeof secret === "string" ? REFERENCE.exec(secret)?.[1] : undefined;
    const env = variable?.startsWith(KEY_VAR_PREFIX) && !editor.text.includes(`\${${variable}}`) ? { [variable]: undefined } : undefined;
    return edit(
      reply,
      "admin (delete key)",
      (e) => {
        e.text = editor.text;
        return { deleted: request.params.id };
      },
      env,
    );
  });
}

/** The model's own `router_settings.fallbacks` entry goes with it (as yaLLMproxy's delete did); others naming it stay, and refuse the delete. */
function dropOwnFallbacks(editor: YamlEditor, name: string): void {
  const path = ["router_settings", "fallbacks"];
  const seq = parseDocument(editor.text).getIn(path, true);
  if (!isSeq(seq)) return;
  for (let i = seq.items.length - 1; i >= 0; i--) {
    const item = seq.items[i];
    if (!isMap(item) || !item.has(name)) continue;
    const rest = Object.fromEntries(Object.entries(item.toJSON() as Record<string, unknown>).filter(([k]) => k !== name));
    if (Object.keys(rest).length === 0) editor.remove(path, i);
    else editor.replace(path, i, rest);
  }
}

const envName = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "_");

/** Whether a config value holds a secret in clear (not empty, not a `${VAR}` reference, not the mask). */
const inClear = (v: unknown): v is string => typeof v === "string" && v !== "" && v !== MASK && !ONLY_REFERENCES.test(v);

/**
 * The model entry as the config file gets it: its upstream `api_key` and `headers` values given in
 * clear are moved to `env` (for configs/.env) and replaced by `${YALLMP_MODEL_<NAME>_…}`.
 */
export function modelSecretsToEnv(
  entry: Record<string, unknown>,
  name: string,
  env: Record<string, string | undefined>,
  taken: Record<string, string | undefined>,
  configText: string,
): Record<string, unknown> {
  const params = entry.model_params;
  if (typeof params !== "object" || params === null || Array.isArray(params)) return entry;
  const out: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  const claimed = Object.fromEntries(Object.entries(taken).filter(([, v]) => v !== undefined));
  const toEnv = (base: string, value: string): string => {
    const variable = freeVariable(`${MODEL_VAR_PREFIX}${envName(name)}_${base}`, claimed, configText);
    claimed[variable] = value;
    env[variable] = value;
    return `\${${variable}}`;
  };
  if (inClear(out.api_key)) out.api_key = toEnv("API_KEY", out.api_key);
  const headers = out.headers;
  if (typeof headers === "object" && headers !== null && !Array.isArray(headers)) {
    out.headers = Object.fromEntries(
      Object.entries(headers as Record<string, unknown>).map(([h, v]) => [h, inClear(v) ? toEnv(`HEADER_${envName(h)}`, v) : v]),
    );
  }
  return { ...entry, model_params: out };
}

/** Variables this API made for model secrets that the new text no longer refers to leave configs/.env. */
export function dropUnusedModelVariables(before: string, after: string, env: Record<string, string | undefined>): void {
  for (const m of before.matchAll(/\$\{(YALLMP_MODEL_[A-Z0-9_]+)\}/g)) {
    if (!after.includes(m[0])) env[m[1]!] = undefined;
  }
}

/** `base`, or `base_2`, `base_3`, … : the first name no variable and no config reference uses. */
function freeVariable(base: string, taken: Record<string, string | undefined>, configText: string): string {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (taken[name] === undefined && !configText.includes(`\${${name}}`) && !configText.includes(`$${name}`)) return name;
  }
}
