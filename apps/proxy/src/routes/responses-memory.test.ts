import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseResponseStore, MemoryResponseStore } from "@yallmproxy/db";
import { afterEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../app.js";
import { parseConfigText } from "../config/load-config.js";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function proxy(state: string): Promise<FastifyInstance> {
  const env = { DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), "yallmp-mem-")), "state.db")}` };
  const yaml = `model_list:\n  - model_name: m\n    model_params: { api_type: mock, mock: { reply: ok } }\nproxy_settings:\n  responses:\n    state: ${state}\n`;
  const { config } = parseConfigText(yaml, "/t/config.yaml", env, env);
  app = await buildApp({ config, logger: false });
  return app;
}

const create = (a: FastifyInstance, input: string) =>
  a.inject({ method: "POST", url: "/v1/responses", headers: { "content-type": "application/json" }, payload: JSON.stringify({ model: "m", input }) });

describe("stored responses held in memory", () => {
  it("stay within max_memory_bytes, and every one still reads back from the database", async () => {
    const a = await proxy("{ max_memory_entries: 1000, max_memory_bytes: 3000000 }");
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await create(a, `${i} ${"z".repeat(1_000_000)}`);
      expect(res.statusCode).toBe(200);
      ids.push(res.json().id as string);
    }
    const store = a.runtime.responses as DatabaseResponseStore;
    expect(store.cachedBytes).toBeLessThanOrEqual(3_000_000);
    expect(store.cachedEntries).toBeLessThanOrEqual(2);
    for (const id of ids) expect((await a.inject({ method: "GET", url: `/v1/responses/${id}` })).statusCode).toBe(200);
    expect(store.cachedBytes).toBeLessThanOrEqual(3_000_000);
  });

  it("default to 64 MB; with persistence memory the same bound holds", async () => {
    const a = await proxy("{ persistence: memory, max_memory_bytes: 2500000 }");
    expect(a.runtime.config.responseState.maxMemoryBytes).toBe(2_500_000);
    for (let i = 0; i < 6; i++) expect((await create(a, "q".repeat(1_000_000))).statusCode).toBe(200);
    const store = a.runtime.responses as MemoryResponseStore;
    expect(store.bytes).toBeLessThanOrEqual(2_500_000);
    expect(store.size).toBe(2);
    const { config } = parseConfigText("model_list: []\n", "/t/config.yaml", {}, {});
    expect(config.responseState.maxMemoryBytes).toBe(64 * 1024 * 1024);
  });
});
