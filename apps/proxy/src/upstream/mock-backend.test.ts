import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import { parseConfigText } from "../config/load-config.js";

describe("the mock backend on hostile text", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const env = { DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), "yallmp-mock-")), "state.db")}` };
    const { config } = parseConfigText("model_list:\n  - model_name: echo\n    model_params: { api_type: mock }\n", "/t/config.yaml", env, env);
    app = await buildApp({ config, logger: false });
  });
  afterAll(async () => app.close());

  const chat = (body: unknown) =>
    app.inject({ method: "POST", url: "/v1/chat/completions", headers: { "content-type": "application/json" }, payload: JSON.stringify(body) });

  it("counts and echoes whitespace-only and empty messages in linear time", async () => {
    const started = performance.now();
    const spaces = await chat({ model: "echo", messages: [{ role: "user", content: `hi${" ".repeat(100_000)}` }] });
    expect(spaces.statusCode).toBe(200);
    expect(spaces.json().usage.prompt_tokens).toBe(1);
    // Empty messages are joined with spaces for the prompt count.
    const empty = await chat({ model: "echo", stream: true, messages: Array.from({ length: 50_000 }, () => ({ role: "user", content: "" })) });
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain("data: [DONE]");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("still splits words with their leading whitespace", async () => {
    const res = await chat({ model: "echo", stream: true, messages: [{ role: "user", content: "  one two\n three  " }] });
    const words = res.body
      .split("\n\n")
      .filter((f) => f.startsWith("data: {"))
      .map((f) => JSON.parse(f.slice(6)) as { choices: Array<{ delta: { content?: string } }> })
      .map((c) => c.choices[0]?.delta.content)
      .filter((w) => w !== undefined && w !== "");
    expect(words).toEqual(["  one", " two", "\n three"]);
  });
});
