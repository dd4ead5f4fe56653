// yaLLMproxy's admin API replayed against this proxy: the requests its admin page (static/admin/admin.js)
// and its documented scripts send — the `x-admin-password` credential from configs/.env, the
// register payload (nested and flat) as an upsert with `fallbacks`, the `extends` tree views, a
// cascading delete, reload from disk, and its key calls — each checked in the config file (edited in
// place, comments kept), in GET /admin/models or /admin/keys, in the versions, and in traffic.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, loadConfig } from "@yallmproxy/proxy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Upstream, chatCompletion, sendJson, startUpstream } from "../lib/harness.js";

const PASSWORD = "from-the-dotenv-file";
const ui = { "x-admin-password": PASSWORD };

describe("yaLLMproxy's admin requests", () => {
  let up: Upstream;
  let dir: string;
  let path: string;
  let url: string;
  let close: () => Promise<void>;
  const file = () => readFileSync(path, "utf8");
  const env = () => readFileSync(join(dir, ".env"), "utf8");
  const send = async (method: string, route: string, body?: unknown, headers: Record<string, string> = ui) => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const models = async () => ((await send("GET", "/admin/models")).json.data as Array<Record<string, unknown>>).map((m) => [m.name, m] as const);
  const model = async (name: string) => new Map(await models()).get(name);
  const chat = (modelName: string, key?: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}) },
      body: JSON.stringify({ model: modelName, messages: [{ role: "user", content: "hi" }] }),
    });

  beforeAll(async () => {
    up = await startUpstream((_req, res) => sendJson(res, 200, chatCompletion("from upstream")));
    dir = mkdtempSync(join(tmpdir(), "yallmp-yadmin-"));
    path = join(dir, "config.yaml");
    writeFileSync(
      path,
      `# team config: edited by hand and through the admin API
model_list:
  - model_name: base            # the parent
    model_params:
      api_type: openai
      api_base: ${up.url}
      api_key: \${BASE_KEY}
      model: up-base
  - model_name: child
    extends: base
    model_params: { model: up-child }
  - model_name: grandchild
    extends: child
  - model_name: backup
    model_params: { api_type: mock, mock: { reply: "from backup" } }

router_settings:
  num_retries: 0
  fallbacks:
    - child: [backup]

app_keys:
  enabled: false
  keys:
    - key_id: team-a   # the first team
      secret: \${TEAM_A}
      name: Team A
`,
    );
    writeFileSync(join(dir, ".env"), `YALLMP_ADMIN_PASSWORD=${PASSWORD}\nBASE_KEY=sk-base\nTEAM_A=team-a-secret\n`);
    // The password is in configs/.env only, as yaLLMproxy keeps it.
    const { config } = loadConfig({ path, env: { DATABASE_URL: `file:${join(dir, "proxy.db")}` } });
    const app = await buildApp({ config });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
    close = () => app.close();
  });
  afterAll(async () => {
    await close();
    await up.close();
  });

  it("takes the admin password from configs/.env, as the x-admin-password header, ?admin_password= or a body field", async () => {
    expect((await send("GET", "/admin/models")).status).toBe(200);
    expect((await send("GET", "/admin/models", undefined, { "x-admin-password": "wrong" })).status).toBe(401);
    expect((await send("GET", "/admin/models", undefined, {})).status).toBe(401);
    expect((await send("GET", `/admin/models/tree?admin_password=${PASSWORD}`, undefined, {})).status).toBe(200);
    const viaBody = await send("POST", "/admin/keys/config", { admin_password: PASSWORD }, {});
    expect(viaBody.status).toBe(200);
    expect(file()).not.toContain(PASSWORD);
    expect((await send("POST", "/admin/keys/config", { admin_password: "wrong", enabled: true }, {})).status).toBe(401);
    // Only a small body is read for it: a caller without a credential cannot make the proxy parse megabytes.
    expect((await send("POST", "/admin/keys", { admin_password: PASSWORD, name: "x".repeat(1_100_000) }, {})).status).toBe(401);
    // A password is no cookie, but a write must still be JSON.
    const plain = await fetch(`${url}/admin/keys/config`, { method: "POST", headers: { ...ui, "content-type": "text/plain" }, body: "{}" });
    expect(plain.status).toBe(415);
    expect(file()).toContain("  enabled: false\n");
  });

  it("saves the admin page's model form as an upsert, the api_key in .env", async () => {
    const form = (model: string) => ({
      model_name: "ui-model",
      model_params: { api_base: up.url, api_key: "sk-ui-secret", model, request_timeout: 30, api_type: "openai", supports_reasoning: false },
    });
    const added = await send("POST", "/admin/models", form("m1"));
    expect(added).toMatchObject({ status: 200, json: { status: "ok", model: "ui-model", replaced: false, fallbacks: [], protected: false } });
    const replaced = await send("POST", "/admin/models", form("m2"));
    expect(replaced).toMatchObject({ status: 200, json: { status: "ok", model: "ui-model", replaced: true } });
    expect(file()).not.toContain("sk-ui-secret");
    expect(file().match(/model_name: ui-model/g)).toHaveLength(1);
    expect(file()).toContain("api_key: ${YALLMP_MODEL_UI_MODEL_API_KEY}");
    expect(env()).toContain("YALLMP_MODEL_UI_MODEL_API_KEY=sk-ui-secret");
    expect(await model("ui-model")).toMatchObject({ upstreamModel: "m2", apiType: "openai" });
    expect((await chat("ui-model")).status).toBe(200);
    expect(up.requests.at(-1)?.headers.authorization).toBe("Bearer sk-ui-secret");
    expect(up.requests.at(-1)?.json?.model).toBe("m2");
    // The derived-model dialog: copy, then upsert only api_base; the copy's api_key stays.
    expect((await send("POST", "/admin/models/copy?source=ui-model&target=ui-copy")).status).toBe(200);
    expect((await send("POST", "/admin/models", { model_name: "ui-copy", model_params: { api_base: `${up.url}/` } })).json).toMatchObject({ replaced: true });
    expect((await chat("ui-copy")).status).toBe(200);
    expect(up.requests.at(-1)?.headers.authorization).toBe("Bearer sk-ui-secret");
  });

  it("registers the documented flat payload, its fallbacks in router_settings.fallbacks", async () => {
    const flat = {
      model_name: "my-model",
      api_base: up.url,
      api_key: "secret-key",
      target_model: "gpt-4",
      request_timeout: 60,
      supports_reasoning: true,
      extends: "base",
      fallbacks: ["backup"],
      protected: false,
    };
    const res = await send("POST", "/admin/models", flat);
    expect(res).toMatchObject({ status: 200, json: { status: "ok", model: "my-model", replaced: false, fallbacks: ["backup"], protected: false } });
    expect(typeof res.json.version).toBe("number");
    expect(await model("my-model")).toMatchObject({ upstreamModel: "gpt-4", extends: "base", fallbacks: ["backup"] });
    expect(file()).toContain("    - my-model:");
    expect(file()).not.toContain("secret-key");
    expect(file()).not.toContain("target_model");
    // Fallbacks given as [] leave router_settings.fallbacks.
    expect((await send("POST", "/admin/models", { ...flat, api_key: undefined, fallbacks: [] })).json).toMatchObject({ replaced: true, fallbacks: [] });
    expect(await model("my-model")).toMatchObject({ fallbacks: [] });
    expect(file()).not.toContain("- my-model:");
    expect(env()).toContain("YALLMP_MODEL_MY_MODEL_API_KEY=secret-key");
    // What yaLLMproxy refuses: no api_base.
    expect((await send("POST", "/admin/models", { model_name: "nowhere", api_key: "x" })).status).toBe(400);
  });

  it("answers the tree, ancestry and dependents calls, secrets masked", async () => {
    const tree = (await send("GET", "/admin/models/tree")).json as { roots: string[]; nodes: Record<string, Record<string, unknown>> };
    expect(tree.roots).toEqual(expect.arrayContaining(["base", "backup", "ui-model"]));
    expect(tree.roots).not.toContain("child");
    expect(tree.nodes.child).toMatchObject({ parent: "base", children: ["grandchild"], protected: false, editable: true });
    expect(tree.nodes.base).toMatchObject({ parent: null, children: ["child", "my-model"] });
    expect(JSON.stringify(tree)).not.toContain("sk-");
    expect((await send("GET", "/admin/models/grandchild/ancestry")).json).toEqual({
      model: "grandchild",
      chain: ["grandchild", "child", "base"],
      inheritance_depth: 3,
    });
    expect((await send("GET", "/admin/models/base/dependents")).json).toEqual({
      model: "base",
      direct_children: ["child", "my-model"],
      all_descendants: ["child", "grandchild", "my-model"],
      descendant_count: 3,
    });
    expect((await send("GET", "/admin/models/nope/ancestry")).status).toBe(404);
    // GET /admin/models has yaLLMproxy's lists too: entries resolved through extends, as its page renders them.
    const listed = (await send("GET", "/admin/models")).json as { unprotected: Array<Record<string, unknown>>; protected: unknown[] };
    expect(listed.protected).toEqual([]);
    expect(listed.unprotected.find((m) => m.model_name === "grandchild")).toMatchObject({
      model_name: "grandchild",
      model_params: { api_type: "openai", api_base: up.url, api_key: "${BASE_KEY}", model: "up-child" },
      protected: false,
      editable: true,
      _inherited_from: "child",
    });
    expect(JSON.stringify(listed)).not.toContain("sk-");
  });

  it("refuses to orphan dependents, and deletes them with cascade=true (fallbacks too)", async () => {
    const before = file();
    const refused = await send("DELETE", "/admin/models/child");
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ dependents: ["grandchild"], error: { code: "model_has_dependents" } });
    expect(file()).toBe(before);
    const done = await send("DELETE", "/admin/models/child?cascade=true");
    expect(done).toMatchObject({
      status: 200,
      json: { status: "ok", deleted: "child", deleted_models: ["child", "grandchild"], message: "Deleted 2 model(s)" },
    });
    expect((await models()).map(([n]) => n)).not.toContain("grandchild");
    expect(file()).not.toContain("child: [backup]");
    expect(file()).toContain("# team config: edited by hand and through the admin API\n");
    expect(file()).toContain("  - model_name: base            # the parent\n");
    expect(file()).toContain("    - key_id: team-a   # the first team\n");
  });

  it("reloads the file from disk and records a version", async () => {
    writeFileSync(path, `${file()}`.replace("model_list:\n", "model_list:\n  - model_name: from-disk\n    model_params: { api_type: mock }\n"));
    const res = await send("POST", "/admin/config/reload");
    expect(res).toMatchObject({ status: 200, json: { status: "ok", message: "Configuration reloaded successfully" } });
    expect(res.json.models_count).toBe((await models()).length);
    expect(await model("from-disk")).toBeDefined();
    const versions = (await send("GET", "/admin/config/versions")).json.data as Array<{ author: string }>;
    expect(versions[0]!.author).toBe("admin (reload)");
  });

  it("creates, reads, updates (limits too), regenerates and deletes keys, and switches app keys on", async () => {
    const created = await send("POST", "/admin/keys", { name: "CI bot", description: "nightly" });
    expect(created.status).toBe(200);
    const id = created.json.key_id as string;
    expect(id).toMatch(/^key-[0-9a-f]{12}$/);
    expect(created.json).toMatchObject({ status: "ok", message: "Store this secret securely - it will not be shown again" });
    const first = created.json.secret as string;
    expect((await send("GET", `/admin/keys/${id}`)).json).toEqual({ key_id: id, name: "CI bot", description: "nightly", enabled: true });

    const updated = await send("PUT", `/admin/keys/${id}`, { name: "CI", rpm_limit: 60, max_budget: 5, budget_duration: "1d" });
    expect(updated).toMatchObject({
      status: 200,
      json: { status: "ok", key: { key_id: id, name: "CI", rpm_limit: 60, max_budget: 5, budget_duration: "1d" } },
    });
    expect(file()).toContain("rpm_limit: 60");
    const listed = (await send("GET", "/admin/keys")).json as { data: Array<Record<string, unknown>>; keys: Array<Record<string, unknown>> };
    expect(listed.data.find((k) => k.keyId === id)).toMatchObject({ name: "CI", rpmLimit: 60, maxBudget: 5, budgetDuration: "1d", tpmLimit: null });
    expect(JSON.stringify(listed)).not.toContain(first);
    expect((await send("PUT", `/admin/keys/${id}`, { budget_duration: "soon" })).status).toBe(400);

    expect((await send("POST", "/admin/keys/config", { enabled: true })).json).toMatchObject({ status: "ok", enabled: true, header_name: "x-api-key" });
    expect(file()).toContain("  enabled: true\n");
    expect((await chat("backup", first)).status).toBe(200);

    const regenerated = await send("POST", `/admin/keys/${id}/regenerate`);
    expect(regenerated.json).toMatchObject({ status: "ok", key_id: id });
    const second = regenerated.json.secret as string;
    expect(second).not.toBe(first);
    expect(env()).toContain(second);
    expect(file()).not.toContain(second);
    expect((await chat("backup", first)).status).toBe(401);
    expect((await chat("backup", second)).status).toBe(200);

    // A key whose secret is the operator's own variable gets one of ours; theirs is left alone.
    const team = await send("POST", "/admin/keys/team-a/regenerate");
    expect(file()).toContain("secret: ${YALLMP_KEY_TEAM_A}");
    expect(env()).toContain("TEAM_A=team-a-secret");
    expect((await chat("backup", team.json.secret as string)).status).toBe(200);

    expect((await send("PUT", `/admin/keys/${id}`, { enabled: false, rpm_limit: null })).json).toMatchObject({ key: { enabled: false } });
    expect(file()).not.toContain("rpm_limit: 60");
    expect((await chat("backup", second)).status).toBe(401);
    expect((await send("DELETE", `/admin/keys/${id}`)).json).toMatchObject({ status: "ok", key_id: id });
    expect(env()).not.toContain(second);
    expect((await send("GET", `/admin/keys/${id}`)).status).toBe(404);
  });
});
