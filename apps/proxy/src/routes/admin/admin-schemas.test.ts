import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../app.js";
import { parseConfigText } from "../../config/load-config.js";

let app: FastifyInstance;
const auth = { authorization: "Bearer pw", "content-type": "application/json" };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "yallmp-admin-schemas-"));
  const text = "model_list:\n  - model_name: m\n    model_params: { api_type: mock }\n";
  writeFileSync(join(dir, "config.yaml"), text);
  const env = { DATABASE_URL: `file:${join(dir, "state.db")}`, YALLMP_ADMIN_PASSWORD: "pw" };
  const { config } = parseConfigText(text, join(dir, "config.yaml"), env, env);
  app = await buildApp({ config, logger: false });
});
afterAll(async () => app.close());

const send = (method: "POST" | "PUT" | "GET", url: string, payload?: string) =>
  app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload }) });

describe("admin requests that do not fit their schema", () => {
  it("are 400 invalid_value in the admin API's error shape, naming the field", async () => {
    for (const [method, url, body, param] of [
      ["POST", "/admin/config/validate", '{"yaml":5}', "yaml"],
      ["PUT", "/admin/config", "{}", "yaml"],
      ["POST", "/admin/config/rollback", '{"version":"2"}', "version"],
      ["POST", "/admin/keys", '{"key_id":"bad id"}', "key_id"],
      ["POST", "/admin/models", '{"model_params":{}}', "model_name"],
      ["POST", "/admin/replay", '{"responseId":"r","model":"m","mode":"all"}', "mode"],
      ["GET", "/admin/config/versions/x1", undefined, "version"],
    ] as const) {
      const res = await send(method, url, body);
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", param, code: "invalid_value" } });
    }
  });

  it("a call that takes a body answers an empty one with invalid_json; one that takes none accepts it", async () => {
    const empty = await send("POST", "/admin/config/validate");
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe("invalid_json");
    expect((await send("POST", "/admin/logout")).statusCode).toBe(200);
  });

  it("a draft that does not validate is an answer that fits its schema: valid false, the error and every problem", async () => {
    const validate = await send("POST", "/admin/config/validate", JSON.stringify({ yaml: "model_list: 3\n" }));
    expect(validate.statusCode).toBe(200);
    expect(validate.json()).toMatchObject({ valid: false, error: { code: "invalid_config" }, errors: [expect.objectContaining({ path: expect.any(String) })] });
  });

  it("with the admin API off, a sign-in is 404 admin_disabled whatever its body", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-admin-off-"));
    const env = { DATABASE_URL: `file:${join(dir, "state.db")}` };
    const { config } = parseConfigText("model_list: []\n", join(dir, "config.yaml"), env, env);
    const off = await buildApp({ config, logger: false });
    try {
      const res = await off.inject({ method: "POST", url: "/admin/login", headers: { "content-type": "application/json" }, payload: "{}" });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("admin_disabled");
    } finally {
      await off.close();
    }
  });
});
