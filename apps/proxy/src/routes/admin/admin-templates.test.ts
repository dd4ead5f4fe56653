// /admin/templates: list, store, inspect; paths outside the templates folder refused; a stored
// template used by the next config apply.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../app.js";
import { parseConfigText } from "../../config/load-config.js";

let app: FastifyInstance;
let dir: string;
const auth = { authorization: "Bearer pw", "content-type": "application/json" };
const GLM = "{{ '<think>' + reasoning_content.strip() + '</think>' }}{{- '<tool_call>' + tc.name -}}<arg_key>k</arg_key><arg_value>v</arg_value></tool_call>";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "yallmp-templates-"));
  const configs = join(dir, "configs");
  mkdirSync(join(configs, "jinja_templates"), { recursive: true });
  writeFileSync(join(configs, "jinja_templates", "glm.jinja"), GLM);
  writeFileSync(join(configs, "jinja_templates", "notes.txt"), "not a template");
  writeFileSync(join(dir, "secret.jinja"), "{{ secret }}");
  const text =
    "model_list:\n  - model_name: m\n    model_params: { api_type: mock }\n    modules: { upstream: { response: [parse_tags], parse_tags: { template_path: configs/jinja_templates/glm.jinja } } }\n";
  writeFileSync(join(configs, "config.yaml"), text);
  const env = { DATABASE_URL: `file:${join(dir, "state.db")}`, YALLMP_ADMIN_PASSWORD: "pw" };
  const { config } = parseConfigText(text, join(configs, "config.yaml"), env, env);
  app = await buildApp({ config, logger: false });
});
afterAll(async () => app.close());

describe("/admin/templates", () => {
  it("/admin/models says which modules each model runs", async () => {
    const r = await app.inject({ method: "GET", url: "/admin/models", headers: auth });
    expect(r.json().data[0]).toMatchObject({ name: "m", responseModules: ["parse_tags"] });
  });

  it("lists the template files beside the config, with the path a config names them by", async () => {
    const r = await app.inject({ method: "GET", url: "/admin/templates", headers: auth });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ data: [{ name: "glm.jinja", path: "configs/jinja_templates/glm.jinja", bytes: GLM.length }] });
  });

  it("inspects a template: the tags found and the settings the modules would run with", async () => {
    const r = await app.inject({ method: "GET", url: "/admin/templates/inspect?template_path=configs/jinja_templates/glm.jinja", headers: auth });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.tags).toEqual({
      thinkTag: "think",
      toolFormat: "xml",
      toolTag: "tool_call",
      thinkOpen: { prefix: "", suffix: "" },
      thinkClose: { prefix: "", suffix: "" },
      includeNewline: false,
    });
    expect(body.parseTags).toMatchObject({ thinkOpen: "<think>", toolOpen: "<tool_call>", toolArgFormat: "xml" });
    expect(body.swapReasoningContent).toMatchObject({ thinkTag: "think", mode: "reasoning_to_content" });
    expect((await app.inject({ method: "GET", url: "/admin/templates/inspect?template_path=glm.jinja", headers: auth })).statusCode).toBe(200);
  });

  it("stores a template under a safe name and reports its tags; the next config can use it", async () => {
    const k2 = "<|tool_calls_section_begin|><|tool_call_begin|>{{ id }}<|tool_call_argument_begin|>{{ args }}<|tool_call_end|><|tool_calls_section_end|>";
    const r = await app.inject({ method: "POST", url: "/admin/templates", headers: auth, payload: JSON.stringify({ name: "../kimi k2", text: k2 }) });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ name: "kimi_k2.jinja", path: "configs/jinja_templates/kimi_k2.jinja", tags: { toolFormat: "k2" } });
    const yaml = `model_list:
  - model_name: kimi
    model_params: { api_base: http://k.invalid/v1 }
    modules: { upstream: { response: [parse_tags], parse_tags: { template_path: configs/jinja_templates/kimi_k2.jinja } } }
`;
    const v = await app.inject({ method: "POST", url: "/admin/config/validate", headers: auth, payload: JSON.stringify({ yaml }) });
    expect(v.json()).toMatchObject({ valid: true, warnings: [] });
  });

  it("refuses what is not a template, too big, or outside the folder", async () => {
    const nul = await app.inject({ method: "POST", url: "/admin/templates", headers: auth, payload: JSON.stringify({ name: "x", text: "a\u0000b" }) });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error).toMatchObject({ code: "invalid_value", param: "text" });
    const big = await app.inject({ method: "POST", url: "/admin/templates", headers: auth, payload: JSON.stringify({ name: "x", text: "é".repeat(600_000) }) });
    expect(big.statusCode).toBe(400);
    for (const path of ["../secret.jinja", "../../secret.jinja", `${dir}/secret.jinja`, "configs/config.yaml", "nope.jinja"]) {
      const r = await app.inject({ method: "GET", url: `/admin/templates/inspect?template_path=${encodeURIComponent(path)}`, headers: auth });
      expect(r.statusCode, path).toBe(404);
      expect(r.body).not.toContain("secret }}");
    }
    expect((await app.inject({ method: "GET", url: "/admin/templates", headers: { authorization: "Bearer wrong" } })).statusCode).toBe(401);
  });
});
