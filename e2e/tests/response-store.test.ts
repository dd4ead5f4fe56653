// The response store under pressure: an upstream id two keys both receive (owned once), and a
// DELETE on one replica that the other replica's cache must honour at once.

import OpenAI from "openai";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import { type RunningProxy, type Upstream, sendJson, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

/** A native Responses upstream that gives every answer the same id, `resp_up1`, saying which turn it is. */
async function sameIdUpstream(): Promise<Upstream> {
  const up = await startUpstream((req, res, i) => {
    const text = `answer ${i + 1} to ${JSON.stringify(req.json?.input)}`;
    const item = { id: `msg_up${i + 1}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] };
    const response = {
      id: "resp_up1",
      object: "response",
      created_at: 1765552659,
      model: "gpt-up",
      status: "completed",
      error: null,
      incomplete_details: null,
      output: [item],
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    };
    if (!req.json?.stream) return sendJson(res, 200, response);
    sseHead(res);
    res.write(
      `event: response.created\ndata: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: { ...response, status: "in_progress", output: [], usage: null } })}\n\n`,
    );
    res.write(
      `event: response.output_item.added\ndata: ${JSON.stringify({ type: "response.output_item.added", sequence_number: 1, output_index: 0, item })}\n\n`,
    );
    res.write(
      `event: response.output_item.done\ndata: ${JSON.stringify({ type: "response.output_item.done", sequence_number: 2, output_index: 0, item })}\n\n`,
    );
    res.end(`event: response.completed\ndata: ${JSON.stringify({ type: "response.completed", sequence_number: 3, response })}\n\n`);
  });
  cleanups.push(up.close);
  return up;
}

const keys = { A: "secret-key-a", B: "secret-key-b" };
const keysYaml = `
app_keys:
  enabled: true
  keys:
    - { key_id: a, secret: ${keys.A} }
    - { key_id: b, secret: ${keys.B} }
`;

describe("an upstream response id that two keys both receive", () => {
  for (const stream of [false, true]) {
    it(`stays the first key's; the second gets its answer, unstored (${stream ? "stream" : "JSON"})`, async () => {
      const up = await sameIdUpstream();
      const p = await startProxy(`
model_list:
  - model_name: native-m
    model_params: { api_type: openai-responses, api_base: ${up.url}, model: gpt-up }
${keysYaml}`);
      cleanups.push(p.close);
      const client = (key: string) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: key, maxRetries: 0 });
      const create = (key: string, input: string) =>
        stream ? client(key).responses.stream({ model: "native-m", input }).finalResponse() : client(key).responses.create({ model: "native-m", input });

      const mine = await create(keys.A, "from A");
      expect(mine.id).toBe("resp_up1");
      const theirs = await create(keys.B, "from B");
      expect(theirs.id).toBe("resp_up1");
      expect(theirs.output_text).toBe('answer 2 to "from B"');

      // A keeps its response: GET, input items and a chain on it are A's.
      const got = await client(keys.A).responses.retrieve("resp_up1");
      expect(got.output_text).toBe('answer 1 to "from A"');
      const items = await client(keys.A).responses.inputItems.list("resp_up1");
      expect(JSON.stringify(items.data)).toContain("from A");
      await client(keys.A).responses.create({ model: "native-m", input: "A again", previous_response_id: "resp_up1" });
      expect(JSON.stringify(up.requests[2]!.json!.input)).toContain('answer 1 to \\"from A\\"');

      // B's answer was not stored: it cannot read or continue from A's.
      await expect(client(keys.B).responses.retrieve("resp_up1")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(client(keys.B).responses.create({ model: "native-m", input: "B again", previous_response_id: "resp_up1" })).rejects.toBeInstanceOf(
        OpenAI.NotFoundError,
      );
      expect(up.requests).toHaveLength(3);
      const warned = p.logs().filter((l) => l.msg === "response id already stored for another key; this answer was not stored");
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ responseId: "resp_up1" });
    });
  }
});

const pgSkip = await postgresAvailable();
describe.skipIf(pgSkip !== undefined)("two proxies on one PostgreSQL database", () => {
  async function replicas(yaml: string): Promise<[RunningProxy, RunningProxy]> {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const a = await startProxy(yaml, { DATABASE_URL: db.url });
    cleanups.push(a.close);
    const b = await startProxy(yaml, { DATABASE_URL: db.url });
    cleanups.push(b.close);
    return [a, b];
  }
  const yaml = `
model_list:
  - model_name: mock-m
    model_params: { api_type: mock }
  - model_name: stuck-m
    model_params: { api_type: mock, mock: { latency_ms: 10000 } }
`;
  const client = (p: RunningProxy) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "x", maxRetries: 0 });

  /** Polls `check` every 10 ms until it holds; returns how long that took. */
  async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
    const started = performance.now();
    while (!(await check())) {
      if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`);
      await sleep(10);
    }
    return performance.now() - started;
  }

  it("a response deleted on one is gone on the other at once: GET 404, previous_response_id 400", async () => {
    const [a, b] = await replicas(yaml);
    const made = await client(a).responses.create({ model: "mock-m", input: "delete me" });
    // B has never seen it: its GET reads the database, and keeps a copy.
    expect((await client(b).responses.retrieve(made.id)).output_text).toBe("delete me");
    expect((await client(b).responses.retrieve(made.id)).id).toBe(made.id);
    expect((await client(a).responses.retrieve(made.id)).id).toBe(made.id);

    const deleted = await fetch(`${a.url}/v1/responses/${made.id}`, { method: "DELETE" });
    expect(await deleted.json()).toEqual({ id: made.id, object: "response", deleted: true });
    const took = await within(2000, async () => (await fetch(`${b.url}/v1/responses/${made.id}`)).status === 404);
    expect(took).toBeLessThan(2000);
    const chained = await client(b)
      .responses.create({ model: "mock-m", input: "continue", previous_response_id: made.id })
      .catch((e: unknown) => e);
    expect(chained).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chained as Error).message).toContain(`Previous response with id '${made.id}' not found.`);
    expect((await fetch(`${a.url}/v1/responses/${made.id}`)).status).toBe(404);

    // And the other way round.
    const second = await client(b).responses.create({ model: "mock-m", input: "and me" });
    expect((await client(a).responses.retrieve(second.id)).id).toBe(second.id);
    await client(b).responses.delete(second.id);
    await within(2000, async () => (await fetch(`${a.url}/v1/responses/${second.id}`)).status === 404);
  }, 30_000);

  it("a replica whose listener lost its connection drops every copy once it listens again", async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const a = await startProxy(yaml, { DATABASE_URL: db.url });
    cleanups.push(a.close);
    const made = await client(a).responses.create({ model: "mock-m", input: "cached" });
    expect((await client(a).responses.retrieve(made.id)).id).toBe(made.id);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      // The listener's connection is cut, and meanwhile the row goes without a notice reaching it.
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
      );
      expect(rowCount).toBeGreaterThan(0);
      await admin.query(`DELETE FROM "StoredResponse" WHERE "id" = $1`, [made.id]);
      await within(5000, async () => (await fetch(`${a.url}/v1/responses/${made.id}`)).status === 404);
    } finally {
      await admin.end();
    }
  }, 30_000);

  it("a background response cancelled on one shows as cancelled on the other", async () => {
    const [a, b] = await replicas(yaml);
    const queued = await client(a).responses.create({ model: "stuck-m", input: "never mind", background: true });
    expect(["queued", "in_progress"]).toContain((await client(b).responses.retrieve(queued.id)).status);
    expect((await client(a).responses.cancel(queued.id)).status).toBe("cancelled");
    await within(2000, async () => (await client(b).responses.retrieve(queued.id)).status === "cancelled");
  }, 30_000);
});
