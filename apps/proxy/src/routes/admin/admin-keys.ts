// App keys management, as yaLLMproxy's /admin/keys offers: add, read, update (name, state,
// concurrency, rate limits and budget), regenerate the secret, delete, and switch app keys on or
// off. Each change edits only the entry (or setting) it touches and is applied as a config version.
// A secret never goes into the config file: configs/.env holds it as `YALLMP_KEY_<ID>` and the
// entry says `secret: ${YALLMP_KEY_<ID>}`; a generated one is shown in its answer only.

import { randomBytes } from "node:crypto";
import {
  ConfigApplied,
  ConfigInvalid,
  IdParams,
  KeyConfigEntry,
  KeyEntry,
  KeySaved,
  KeySecret,
  KeyUpdate,
  KeysConfigAnswer,
  KeysConfigBody,
} from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import type { ConfigManager } from "../../config/config-manager.js";
import { readDotEnv } from "../../config/env.js";
import { YamlEditor } from "../../config/yaml-edit.js";
import { Errors } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { type EnvChanges, KEY_VAR_PREFIX, REFERENCE, editing, entriesOf, envName, freeVariable, indexOf, setText } from "./admin-edit.js";

const KEYS = ["app_keys", "keys"];
const SHOWN_ONCE = "Store this secret securely - it will not be shown again";

const newSecret = () => `sk-yallmp-${randomBytes(24).toString("base64url")}`;

/** An entry as the file has it, without its secret (`enabled` defaults to true, as when loaded). */
export function withoutSecret(entry: Record<string, unknown>): KeyConfigEntry {
  const { secret: _secret, ...rest } = entry;
  return { ...rest, key_id: String(rest.key_id), enabled: rest.enabled !== false };
}

/** The running key list and the edits of it that the key routes share. */
function keyContext(scope: FastifyInstance, manager: ConfigManager) {
  const { text, edit, onRequest } = editing(scope, manager);
  const taken = (): EnvChanges => ({ ...readDotEnv(manager.envPath), ...process.env });
  const keyAt = (id: string): number => {
    const at = indexOf(text(), KEYS, "key_id", id);
    if (at < 0) throw Errors.adminNotFound(`App key '${id}' not found`);
    return at;
  };
  const entryAt = (at: number) => entriesOf(text(), KEYS)[at]!.toJSON() as Record<string, unknown>;

  /** `secret` stored in configs/.env under the key's variable (its own, if it has one of ours). */
  const storeSecret = (keyId: string, secret: string, current?: unknown): { reference: string; env: EnvChanges } => {
    if (REFERENCE.test(secret)) return { reference: secret, env: {} };
    const own = typeof current === "string" ? REFERENCE.exec(current)?.[1] : undefined;
    const name = own?.startsWith(KEY_VAR_PREFIX) ? own : freeVariable(`${KEY_VAR_PREFIX}${envName(keyId)}`, taken(), text());
    return { reference: `\${${name}}`, env: { [name]: secret } };
  };

  return { text, edit, onRequest, keyAt, entryAt, storeSecret };
}

export async function adminKeyRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  await scope.register(keyEntryRoutes, opts);
  await scope.register(keySecretRoutes, opts);
}

async function keyEntryRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const { text, edit, onRequest, keyAt, entryAt, storeSecret } = keyContext(scope, opts.config);

  const created = { 200: ConfigApplied, 400: ConfigInvalid };
  app.post("/admin/keys", { onRequest, schema: { body: KeyEntry, response: created } }, async (request, reply) => {
    const entry = request.body;
    const keyId = entry.key_id ?? `key-${randomBytes(6).toString("hex")}`;
    if (scope.runtime.config.appKeys.keys.some((k) => k.keyId === keyId) || indexOf(text(), KEYS, "key_id", keyId) >= 0) throw Errors.adminKeyExists(keyId);
    const given = entry.secret;
    const secret = given ?? newSecret();
    const { reference, env } = storeSecret(keyId, secret);
    const result = await edit(reply, "admin (add key)", (editor) => editor.append(KEYS, { ...entry, key_id: keyId, secret: reference }), env);
    if (reply.sent) return reply;
    // A secret the caller chose is not echoed; a generated one is shown here only.
    return { ...result, key_id: keyId, status: "ok" as const, message: given ? `App key '${keyId}' created` : SHOWN_ONCE, ...(given ? {} : { secret }) };
  });

  app.get("/admin/keys/:id", { onRequest, schema: { params: IdParams, response: { 200: KeyConfigEntry } } }, async (request) =>
    withoutSecret(entryAt(keyAt(request.params.id))),
  );

  app.put(
    "/admin/keys/:id",
    { onRequest, schema: { params: IdParams, body: KeyUpdate, response: { 200: KeySaved, 400: ConfigInvalid } } },
    async (request, reply) => {
      const at = keyAt(request.params.id);
      const next: Record<string, unknown> = { ...entryAt(at) };
      for (const [field, value] of Object.entries(request.body)) {
        if (value === null) delete next[field];
        else next[field] = value;
      }
      const editor = new YamlEditor(text());
      editor.replace(KEYS, at, next);
      return edit(reply, "admin (update key)", setText(editor.text, { status: "ok" as const, key: withoutSecret(next) }));
    },
  );
}

async function keySecretRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const { text, edit, onRequest, keyAt, entryAt, storeSecret } = keyContext(scope, opts.config);

  app.post(
    "/admin/keys/:id/regenerate",
    { onRequest, schema: { params: IdParams, response: { 200: KeySecret, 400: ConfigInvalid } } },
    async (request, reply) => {
      const id = request.params.id;
      const at = keyAt(id);
      const entry = entryAt(at);
      const secret = newSecret();
      const { reference, env } = storeSecret(id, secret, entry.secret);
      const editor = new YamlEditor(text());
      if (entry.secret !== reference) editor.replace(KEYS, at, { ...entry, secret: reference });
      const result = await edit(reply, "admin (regenerate key)", setText(editor.text), env);
      if (reply.sent) return reply;
      return { ...result, status: "ok" as const, key_id: id, secret, message: SHOWN_ONCE };
    },
  );

  app.post(
    "/admin/keys/config",
    { onRequest, schema: { body: KeysConfigBody, response: { 200: KeysConfigAnswer, 400: ConfigInvalid } } },
    async (request, reply) => {
      const editor = new YamlEditor(text());
      for (const [field, value] of Object.entries(request.body)) if (value !== undefined) editor.set(["app_keys", field], value);
      const result = await edit(reply, "admin (app keys settings)", setText(editor.text));
      if (reply.sent) return reply;
      const keys = scope.runtime.config.appKeys;
      return { ...result, status: "ok" as const, enabled: keys.enabled, header_name: keys.headerName, allow_unauthenticated: keys.allowUnauthenticated };
    },
  );

  app.delete("/admin/keys/:id", { onRequest, schema: { params: IdParams, response: { 200: ConfigApplied, 400: ConfigInvalid } } }, async (request, reply) => {
    const id = request.params.id;
    const at = keyAt(id);
    const secret = entryAt(at).secret;
    const editor = new YamlEditor(text());
    editor.remove(KEYS, at);
    // The variable this API made for the key's secret leaves configs/.env with it.
    const variable = typeof secret === "string" ? REFERENCE.exec(secret)?.[1] : undefined;
    const env = variable?.startsWith(KEY_VAR_PREFIX) && !editor.text.includes(`\${${variable}}`) ? { [variable]: undefined } : undefined;
    return edit(reply, "admin (delete key)", setText(editor.text, { deleted: id, key_id: id, status: "ok" as const, message: `App key '${id}' deleted` }), env);
  });
}
