// One model's entry, and yaLLMproxy's views of the models' `extends` tree: the whole tree, one
// model's ancestry and its dependents (the models a cascading delete would take with it). Read
// from the running config text, secrets masked as in `GET /admin/config`.

import { ModelAncestry, ModelDependents, ModelDetail, type ModelEntry, ModelParams, ModelTree } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { isMap, parseDocument } from "yaml";
import { ExtendsTree } from "../../config/extends-tree.js";
import { maskSecrets } from "../../config/secret-mask.js";
import { Errors } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { requireAdmin } from "./admin-auth.js";
import { indexOf } from "./admin-edit.js";

export async function adminModelTreeRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  const onRequest = requireAdmin(() => scope.runtime.config.adminPassword);
  const tree = () => ExtendsTree.ofText(maskSecrets(scope.runtime.config.source.text));
  const known = (t: ExtendsTree, name: string) => {
    if (!t.get(name)) throw Errors.adminNotFound(`Model '${name}' not found`);
  };

  app.get("/admin/models/tree", { onRequest, schema: { response: { 200: ModelTree } } }, async () => {
    const t = tree();
    const nodes: ModelTree["nodes"] = {};
    for (const name of t.names) {
      const e = t.get(name)!;
      const isProtected = e.config.protected === true;
      nodes[name] = { config: e.config, parent: e.parent, children: t.childrenOf(name), protected: isProtected, editable: !isProtected };
    }
    return { roots: t.roots(), nodes };
  });

  app.get("/admin/models/:name/ancestry", { onRequest, schema: { params: ModelParams, response: { 200: ModelAncestry } } }, async (request) => {
    const t = tree();
    known(t, request.params.name);
    const chain = t.chainOf(request.params.name);
    return { model: request.params.name, chain, inheritance_depth: chain.length };
  });

  app.get("/admin/models/:name/dependents", { onRequest, schema: { params: ModelParams, response: { 200: ModelDependents } } }, async (request) => {
    const t = tree();
    known(t, request.params.name);
    const all = t.descendantsOf(request.params.name);
    return { model: request.params.name, direct_children: t.childrenOf(request.params.name), all_descendants: all, descendant_count: all.length };
  });

  app.get("/admin/models/:name", { onRequest, schema: { params: ModelParams, response: { 200: ModelDetail } } }, async (request) => {
    const name = request.params.name;
    const text = scope.runtime.config.source.text;
    const at = indexOf(text, ["model_list"], "model_name", name);
    if (at < 0) throw Errors.adminNotFound(`No model named '${name}'.`);
    const node = parseDocument(maskSecrets(text)).getIn(["model_list", at], true);
    const entry = (isMap(node) ? node.toJSON() : { model_name: name }) as ModelEntry;
    return { name, protected: scope.runtime.config.models.get(name)?.protected ?? entry.protected === true, entry };
  });
}
