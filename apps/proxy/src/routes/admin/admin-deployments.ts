// A model group's deployments through the admin API: the router's live view of them
// (`GET /admin/deployments`), and adding one to a group or removing one, as edits of the config
// file's text applied like every other admin change (validated, versioned, sent to the replicas).

import { ConfigApplied, ConfigInvalid, DeploymentEntry, DeploymentList, DeploymentParams, ModelParams } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { deploymentGroups } from "../../balance/deployment-view.js";
import type { ConfigManager } from "../../config/config-manager.js";
import type { ModelGroup } from "../../config/load-config.js";
import { readDotEnv } from "../../config/env.js";
import { deepMerge } from "../../config/model-entries.js";
import { YamlEditor } from "../../config/yaml-edit.js";
import { Errors } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { dropUnusedModelVariables, editing, entriesOf, modelSecretsToEnv, setText } from "./admin-edit.js";

const answers = { 200: ConfigApplied, 400: ConfigInvalid };

/** The `id` a `model_list` entry gives its deployment, if any. */
function ownId(entry: Record<string, unknown>): string | undefined {
  const info = entry.model_info;
  const id = entry.id ?? (typeof info === "object" && info !== null ? (info as { id?: unknown }).id : undefined);
  return typeof id === "string" && id !== "" ? id : undefined;
}

/**
 * Before the group's first entry is removed: the entry that then heads the group, when it
 * `extends` its own group (so it would extend itself), takes in what it inherited from the removed one.
 */
function adoptInheritance(editor: YamlEditor, text: string, name: string, removed: number): void {
  const entries = entriesOf(text, ["model_list"]);
  const ofGroup = entries.flatMap((e, i) => (e.get("model_name") === name ? [i] : []));
  const heir = ofGroup[1];
  if (ofGroup[0] !== removed || heir === undefined || entries[heir]?.get("extends") !== name) return;
  const { model_name: _n, extends: parent, protected: _p, model_info: _i, id: _d, ...inheritable } = entries[removed]!.toJSON() as Record<string, unknown>;
  const { extends: _e, ...own } = entries[heir]!.toJSON() as Record<string, unknown>;
  const merged = deepMerge(inheritable, own);
  editor.replace(["model_list"], heir, { model_name: name, ...(parent === undefined ? {} : { extends: parent }), ...merged });
}

export async function adminDeploymentRoutes(scope: FastifyInstance, opts: { config: ConfigManager }): Promise<void> {
  const app = typed(scope);
  const runtime = scope.runtime;
  const { text, edit, onRequest } = editing(scope, opts.config);

  app.get("/admin/deployments", { onRequest, schema: { response: { 200: DeploymentList } } }, async () => {
    const now = Date.now();
    return { serverTime: new Date(now).toISOString(), data: deploymentGroups(runtime.generation.pools.values(), now) };
  });

  /** The group `name` as the running config has it; a protected one cannot be changed here. */
  const groupOf = (name: string): ModelGroup => {
    const group = runtime.config.groups.get(name);
    if (!group) throw Errors.adminNotFound(`No model named '${name}'.`);
    if (group.deployments[0]?.protected) throw Errors.adminModelProtected(name);
    return group;
  };

  app.post(
    "/admin/models/:name/deployments",
    { onRequest, schema: { params: ModelParams, body: DeploymentEntry, response: answers } },
    async (request, reply) => {
      const name = request.params.name;
      const body = request.body;
      if (body.model_name !== undefined && body.model_name !== name) {
        throw Errors.adminInvalidValue(`model_name '${body.model_name}' is not the model of the path ('${name}').`, "model_name");
      }
      if (body.deployments !== undefined) throw Errors.adminInvalidValue("One deployment per call: send an entry without a deployments list.", "deployments");
      groupOf(name);
      const id = ownId(body);
      if (id !== undefined && [...runtime.config.groups.values()].some((g) => g.deployments.some((d) => d.id === id))) throw Errors.adminDeploymentExists(id);
      // The new entry goes right after the group's last one, so the file keeps a group together.
      let last = -1;
      entriesOf(text(), ["model_list"]).forEach((e, i) => {
        if (e.get("model_name") === name) last = i;
      });
      if (last < 0) throw Errors.adminNotFound(`No model named '${name}' in the config file.`);
      const { model_name: _n, ...rest } = body;
      const env: Record<string, string | undefined> = {};
      const stored = modelSecretsToEnv({ model_name: name, ...rest }, name, env, { ...readDotEnv(opts.config.envPath), ...process.env }, text());
      const result = await edit(reply, "admin (add deployment)", (editor) => editor.insertAfter(["model_list"], last, stored), env);
      if (reply.sent) return reply;
      const added = runtime.config.groups.get(name)?.deployments.find((d) => d.origin?.index === last + 1);
      return { ...result, model: name, ...(added ? { deployment: added.id } : {}) };
    },
  );

  app.delete("/admin/models/:name/deployments/:id", { onRequest, schema: { params: DeploymentParams, response: answers } }, async (request, reply) => {
    const { name, id } = request.params;
    const group = groupOf(name);
    const target = group.deployments.find((d) => d.id === id);
    if (!target?.origin) throw Errors.adminNotFound(`Model '${name}' has no deployment '${id}'.`);
    if (group.deployments.length === 1) throw Errors.adminLastDeployment(name);
    const { index, item } = target.origin;
    const editor = new YamlEditor(text());
    // The last item of an entry's deployments list takes the entry with it.
    const siblings = group.deployments.filter((d) => d.origin?.index === index).length;
    if (item === undefined || siblings === 1) {
      adoptInheritance(editor, text(), name, index);
      editor.remove(["model_list"], index);
    } else editor.remove(["model_list", index, "deployments"], item);
    const env: Record<string, string | undefined> = {};
    dropUnusedModelVariables(text(), editor.text, env);
    return edit(
      reply,
      "admin (delete deployment)",
      setText(editor.text, { deleted: id, model: name, deployment: id }),
      Object.keys(env).length ? env : undefined,
    );
  });
}
