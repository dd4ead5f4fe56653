// Models and keys management, as yaLLMproxy's /admin/models and /admin/keys offer. Every change is
// an edit of the config document (comments kept), validated and applied like `PUT /admin/config`,
// so it gets a version, reaches the other replicas and can be rolled back.

import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { type Document, isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { ConfigValidationError, type ConfigManager } from "../../config/config-manager.js";
import { Errors, ProxyError } from "../../errors.js";
import { requireAdmin } from "./admin-auth.js";

function listOf(doc: Document, key: string[]): YAMLSeq {
  let seq = doc.getIn(key);
  if (!isSeq(seq)) {
    doc.setIn(key, doc.createNode([]));
    seq = doc.getIn(key);
  }
  return seq as YAMLSeq;
}

function indexOf(seq: YAMLSeq, field: string, value: string): number {
  return seq.items.findIndex((item) => isMap(item) && (item as YAMLMap).get(field) === value);
}

function plainObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw Errors.invalidField(what, `${what} must be an object.`);
  return body as Record<string, unknown>;
}

export async function adminManageRoutes(app: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const manager = opts.config;
  const guarded = { onRequest: requireAdmin(() => app.runtime.config.adminPassword) };

  /** Applies an edit of the running config text; answers 400 with every problem if it does not validate. */
  const edit = async (reply: FastifyReply, author: string, change: (doc: Document) => unknown) => {
    const doc = parseDocument(app.runtime.config.source.text);
    const result = change(doc);
    try {
      const applied = await manager.apply(doc.toString(), author);
      return { ...applied, ...(result && typeof result === "object" ? result : {}) };
    } catch (err) {
      if (!(err instanceof ConfigValidationError)) throw err;
      return reply.code(400).send({
        error: { message: `The change makes the config invalid: ${err.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`, type: "invalid_request_error", param: err.problems[0]?.path ?? null, code: "invalid_config" },
        errors: err.problems,
      });
    }
  };

  app.post("/admin/models", guarded, async (request, reply) => {
    const entry = plainObject(request.body, "body");
    const name = entry.model_name;
    if (typeof name !== "string" || !name) throw Errors.invalidField("model_name", "model_name is required.");
    if (app.runtime.config.models.has(name) || indexOf(listOf(parseDocument(app.runtime.config.source.text), ["model_list"]), "model_name", name) >= 0) {
      throw new ProxyError(409, `A model named '${name}' already exists.`, { code: "model_exists", param: "model_name" });
    }
    return edit(reply, "admin (add model)", (doc) => listOf(doc, ["model_list"]).add(doc.createNode(entry)));
  });

  app.put<{ Params: { name: string } }>("/admin/models/:name", guarded, async (request, reply) => {
    const entry = { ...plainObject(request.body, "body"), model_name: request.params.name };
    return edit(reply, "admin (update model)", (doc) => {
      const seq = listOf(doc, ["model_list"]);
      const at = indexOf(seq, "model_name", request.params.name);
      if (at < 0) throw new ProxyError(404, `No model named '${request.params.name}'.`, { code: "not_found" });
      seq.set(at, doc.createNode(entry));
    });
  });

  app.delete<{ Params: { name: string } }>("/admin/models/:name", guarded, async (request, reply) => {
    return edit(reply, "admin (delete model)", (doc) => {
      const seq = listOf(doc, ["model_list"]);
      const at = indexOf(seq, "model_name", request.params.name);
      if (at < 0) throw new ProxyError(404, `No model named '${request.params.name}'.`, { code: "not_found" });
      seq.delete(at);
      return { deleted: request.params.name };
    });
  });

  app.post<{ Querystring: { source?: string; target?: string } }>("/admin/models/copy", guarded, async (request, reply) => {
    const { source, target } = request.query;
    if (!source) throw Errors.invalidField("source", "source names the model to copy.");
    if (!target) throw Errors.invalidField("target", "target names the new model.");
    return edit(reply, "admin (copy model)", (doc) => {
      const seq = listOf(doc, ["model_list"]);
      const at = indexOf(seq, "model_name", source);
      if (at < 0) throw new ProxyError(404, `No model named '${source}'.`, { code: "not_found" });
      if (indexOf(seq, "model_name", target) >= 0) throw new ProxyError(409, `A model named '${target}' already exists.`, { code: "model_exists", param: "target" });
      const copy = (seq.get(at) as YAMLMap).toJSON() as Record<string, unknown>;
      seq.add(doc.createNode({ ...copy, model_name: target, protected: false }));
      return { model: target };
    });
  });

  app.post("/admin/keys", guarded, async (request, reply) => {
    const entry = plainObject(request.body, "body");
    const keyId = entry.key_id;
    if (typeof keyId !== "string" || !/^[\w.:-]{1,64}$/.test(keyId)) throw Errors.invalidField("key_id", "key_id is required (letters, digits, _ . : -).");
    if (app.runtime.config.appKeys.keys.some((k) => k.keyId === keyId)) throw new ProxyError(409, `A key '${keyId}' already exists.`, { code: "key_exists", param: "key_id" });
    // A generated secret is shown once, in this answer, and never again.
    const secret = typeof entry.secret === "string" && entry.secret ? entry.secret : `sk-yallmp-${randomBytes(24).toString("base64url")}`;
    const result = await edit(reply, "admin (add key)", (doc) => {
      listOf(doc, ["app_keys", "keys"]).add(doc.createNode({ ...entry, key_id: keyId, secret }));
    });
    if (reply.sent) return result;
    return { ...result, key_id: keyId, ...(entry.secret ? {} : { secret }) };
  });

  app.delete<{ Params: { id: string } }>("/admin/keys/:id", guarded, async (request, reply) => {
    return edit(reply, "admin (delete key)", (doc) => {
      const seq = listOf(doc, ["app_keys", "keys"]);
      const at = indexOf(seq, "key_id", request.params.id);
      if (at < 0) throw new ProxyError(404, `No key '${request.params.id}'.`, { code: "not_found" });
      seq.delete(at);
      return { deleted: request.params.id };
    });
  });
}
