import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../app.js";
import { parseConfigText } from "../config/load-config.js";

let app: FastifyInstance;

beforeAll(async () => {
  const env = { DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), "yallmp-messages-")), "state.db")}` };
  const { config } = parseConfigText("model_list:\n  - model_name: m\n    model_params: { api_type: mock }\n", "/t/config.yaml", env, env);
  app = await buildApp({ config, logger: false });
});
afterAll(async () => app.close());

const post = (body: unknown) =>
  app.inject({ method: "POST", url: "/v1/messages?beta=true", headers: { "content-type": "application/json" }, payload: JSON.stringify(body) });

describe("POST /v1/messages body schema", () => {
  it("accepts a mid-conversation system message, as Claude Code 2.1 sends one", async () => {
    const res = await post({
      model: "m",
      max_tokens: 100,
      system: [{ type: "text", text: "top" }],
      messages: [
        { role: "user", content: [{ type: "text", text: "hello proxy" }] },
        { role: "system", content: [{ type: "text", text: "# Environment", cache_control: { type: "ephemeral" } }] },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ type: "message", role: "assistant", content: [{ type: "text", text: "hello proxy" }] });
  });

  it("still rejects other roles in Anthropic's error shape", async () => {
    const res = await post({ model: "m", max_tokens: 100, messages: [{ role: "tool", content: "x" }] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(res.json().error.message).toContain("messages[0].role");
  });
});
