// GET /admin/models/:name (the entry a form edits, secrets masked) and the `field` that POST / PUT
// /admin/models add to a problem inside the entry sent; a masked key sent back keeps the running one.

import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../app.js";
import { parseConfigText } from "../../config/load-config.js";

let app: FastifyInstance;
let upstream: Server;
let upstreamUrl: string;
const seen: IncomingHttpHeaders[] = [];
const auth = { authorization: "Bearer pw", "content-type": "application/json" };

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "c",
          object: "chat.completion",
          created: 1,
          model: "up",
          choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
        }),
      );
    });
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  const dir = mkdtempSync(join(tmpdir(), "yallmp-admin-models-"));
  const text = `model_list:
  - model_name: up
    model_params:
      api_type: openai
      api_base: ${upstreamUrl}
      model: up-1
      api_key: sk-literal-upstream
      headers: { x-team: team-secret }
  - model_name: ref
    model_params: { api_type: openai, api_base: ${upstreamUrl}, api_key: "\${SOME_KEY}" }
  - model_name: locked
    protected: true
    model_params: { api_type: mock }
`;
  writeFileSync(join(dir, "config.yaml"), text);
  const env = { DATABASE_URL: `file:${join(dir, "state.db")}`, YALLMP_ADMIN_PASSWORD: "pw", SOME_KEY: "sk-from-env" };
  const { config } = parseConfigText(text, join(dir, "config.yaml"), env, env);
  app = await buildApp({ config, logger: false });
});
afterAll(async () => {
  await app.close();
  upstream.close();
});

const send = (method: "POST" | "PUT" | "GET", url: string, body?: unknown) =>
  app.inject({ method, url, headers: auth, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

async function chatAuthorization(model: string): Promise<string | undefined> {
  const before = seen.length;
  const r = await app.inject({ method: "POST", url: "/v1/chat/completions", payload: { model, messages: [{ role: "user", content: "x" }] } });
  expect(r.statusCode).toBe(200);
  return seen[before]?.authorization;
}

describe("GET /admin/models/:name", () => {
  it("answers the entry as the file has it, literal secrets as *** and references as written", async () => {
    const up = await send("GET", "/admin/models/up");
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({
      name: "up",
      protected: false,
      entry: {
        model_name: "up",
        model_params: { api_type: "openai", api_base: upstreamUrl, model: "up-1", api_key: "***", headers: { "x-team": "***" } },
      },
    });
    expect(up.body).not.toContain("sk-literal-upstream");
    expect(up.body).not.toContain("team-secret");
    expect((await send("GET", "/admin/models/ref")).json().entry.model_params.api_key).toBe("${SOME_KEY}");
    expect((await send("GET", "/admin/models/locked")).json()).toMatchObject({ protected: true });
  });

  it("is 404 for a model that is not configured, and needs the admin credential", async () => {
    const missing = await send("GET", "/admin/models/nope");
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("not_found");
    expect((await app.inject({ method: "GET", url: "/admin/models/up" })).statusCode).toBe(401);
  });

  it("sent back through PUT with its *** untouched, keeps the running secrets", async () => {
    expect(await chatAuthorization("up")).toBe("Bearer sk-literal-upstream");
    const { entry } = (await send("GET", "/admin/models/up")).json() as { entry: { model_params: Record<string, unknown> } };
    const put = await send("PUT", "/admin/models/up", { model_params: { ...entry.model_params, model: "up-2" } });
    expect(put.statusCode).toBe(200);
    expect(await chatAuthorization("up")).toBe("Bearer sk-literal-upstream");
    expect((await send("GET", "/admin/models/up")).json().entry.model_params).toMatchObject({ model: "up-2", api_key: "***" });
  });
});

describe("problems of POST and PUT /admin/models", () => {
  it("name the field inside the entry sent", async () => {
    const added = await send("POST", "/admin/models", { model_name: "broken", model_params: { api_type: "openai", request_timeout: -1 } });
    expect(added.statusCode).toBe(400);
    const problems = added.json().errors as Array<{ path: string; field?: string }>;
    expect(problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "model_list[3].model_params.request_timeout", field: "model_params.request_timeout" })]),
    );
    const put = await send("PUT", "/admin/models/ref", { model_params: { api_type: "openai", api_base: "ftp://x" } });
    expect(put.statusCode).toBe(400);
    expect(put.json().errors).toEqual([expect.objectContaining({ path: "model_list[1].model_params.api_base", field: "model_params.api_base" })]);
  });

  it("leave a problem elsewhere in the config without a field", async () => {
    const child = await send("POST", "/admin/models", { model_name: "child", extends: "ref" });
    expect(child.statusCode).toBe(200);
    // The parent's change breaks its child: that problem is the child's, not the form's.
    const put = await send("PUT", "/admin/models/ref", { model_params: { api_type: "openai" } });
    expect(put.statusCode).toBe(400);
    const problems = put.json().errors as Array<{ path: string; field?: string }>;
    expect(problems.find((p) => p.path === "model_list[1].model_params.api_base")?.field).toBe("model_params.api_base");
    expect(problems.find((p) => p.path.startsWith("model_list[3]"))).toBeDefined();
    expect(problems.find((p) => p.path.startsWith("model_list[3]"))!.field).toBeUndefined();
  });
});

describe("DELETE /admin/models/:name", () => {
  it("takes the model's own fallbacks with it, and is refused while another model falls back to it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-admin-models-delete-"));
    const text = `model_list:
  - { model_name: a, model_params: { api_type: mock } }
  - { model_name: b, model_params: { api_type: mock } }
  - { model_name: c, model_params: { api_type: mock } }
router_settings:
  fallbacks:
    # a falls back to b
    - a: [b]
    - c: [b]
`;
    writeFileSync(join(dir, "config.yaml"), text);
    const env = { DATABASE_URL: `file:${join(dir, "state.db")}`, YALLMP_ADMIN_PASSWORD: "pw" };
    const { config } = parseConfigText(text, join(dir, "config.yaml"), env, env);
    const own = await buildApp({ config, logger: false });
    try {
      const refused = await own.inject({ method: "DELETE", url: "/admin/models/b", headers: { authorization: "Bearer pw" } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: "router_settings.fallbacks[0].a[0]" })]));
      const deleted = await own.inject({ method: "DELETE", url: "/admin/models/a", headers: { authorization: "Bearer pw" } });
      expect(deleted.statusCode).toBe(200);
      const yaml = (await own.inject({ method: "GET", url: "/admin/config", headers: { authorization: "Bearer pw" } })).json().yaml as string;
      expect(yaml).toContain("  fallbacks:\n    - c: [b]\n");
      expect(yaml).not.toMatch(/\ba: \[b\]/);
    } finally {
      await own.close();
    }
  });
});
