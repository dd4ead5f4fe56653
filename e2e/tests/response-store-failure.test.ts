// A response store that fails (a table gone from the SQLite file, the PostgreSQL database dropped):
// on each path that stores a Response (native pass-through JSON and stream, translated JSON and
// stream) the client still gets its whole answer, the failure is logged at error with the request
// id, counted in yallmp_response_store_errors_total and noted in the request's trace, and the
// proxy goes on serving.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { parseSse, writeSse } from "../lib/scripted.js";

const ADMIN = "admin-pw-store";
const admin = { authorization: `Bearer ${ADMIN}` };
const pgSkip = await postgresAvailable();

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A native Responses upstream answering "Stored?" with a fresh id each time, as JSON or as a stream. */
async function responsesUpstream(): Promise<Upstream> {
  const up = await startUpstream(async (req, res, index) => {
    const base = {
      id: `resp_up${index}`,
      object: "response",
      created_at: 1765552659,
      model: "gpt-up",
      error: null,
      incomplete_details: null,
      tools: [],
      metadata: {},
    };
    const item = {
      id: `msg_up${index}`,
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: "Stored?", annotations: [] }],
    };
    const final = { ...base, status: "completed", output: [item], usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } };
    if (req.json?.stream !== true) return sendJson(res, 200, final);
    const events = [
      { type: "response.created", response: { ...base, status: "in_progress", output: [], usage: null } },
      { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } },
      { type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0, delta: "Stored?" },
      { type: "response.output_item.done", output_index: 0, item },
      { type: "response.completed", response: final },
    ];
    await writeSse(
      res,
      events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`),
      1,
    );
  });
  cleanup.push(up.close);
  return up;
}

async function proxyOn(databaseUrl: string, up: Upstream): Promise<RunningProxy> {
  const p = await startProxy(
    `
model_list:
  - model_name: native
    model_params: { api_type: openai-responses, api_base: ${up.url}, api_key: sk-up, model: gpt-up }
  - model_name: translated
    model_params: { api_type: mock }
router_settings: { num_retries: 0 }
proxy_settings:
  traces: { capture: metadata }
`,
    { DATABASE_URL: databaseUrl, YALLMP_ADMIN_PASSWORD: ADMIN },
  );
  cleanup.push(p.close);
  return p;
}

const PATHS = [
  { model: "native", stream: false },
  { model: "native", stream: true },
  { model: "translated", stream: false },
  { model: "translated", stream: true },
] as const;

/** One Responses request; returns the id and text the client got. */
async function ask(p: RunningProxy, model: string, stream: boolean, reqId: string): Promise<{ status: number; id: string; text: string; completed: boolean }> {
  const res = await fetch(`${p.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": reqId },
    body: JSON.stringify({ model, input: "hello", stream }),
  });
  const raw = await res.text();
  if (!stream) {
    const body = JSON.parse(raw) as { id: string; status: string; output: Array<{ content?: Array<{ text: string }> }> };
    return {
      status: res.status,
      id: body.id,
      text: body.output
        .flatMap((o) => o.content ?? [])
        .map((c) => c.text)
        .join(""),
      completed: body.status === "completed",
    };
  }
  const frames = parseSse(raw);
  const last = frames.at(-1);
  const final = last?.event === "response.completed" ? (JSON.parse(last.data) as { response: { id: string } }).response : undefined;
  const text = frames
    .filter((f) => f.event === "response.output_text.delta")
    .map((f) => (JSON.parse(f.data) as { delta: string }).delta)
    .join("");
  return { status: res.status, id: final?.id ?? "", text, completed: final !== undefined };
}

async function storeErrors(p: RunningProxy): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  return Number(/^yallmp_response_store_errors_total (\d+)/m.exec(text)?.[1] ?? "NaN");
}

describe("a response store that fails", () => {
  it("SQLite: every storing path still answers, logs at error, counts and traces the failure; later writes store again", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "yallmp-store-fail-")), "proxy.db");
    const up = await responsesUpstream();
    const p = await proxyOn(`file:${file}`, up);
    // The writer is up and has stored one, then the table it inserts into disappears under it.
    expect((await ask(p, "native", false, "sqlite-warm")).completed).toBe(true);
    const other = new BetterSqlite3(file);
    cleanup.push(async () => void other.close());
    other.exec(`ALTER TABLE "StoredResponse" RENAME TO "StoredResponseAway"`);

    for (const [i, path] of PATHS.entries()) {
      const reqId = `store-fail-${i}`;
      const got = await ask(p, path.model, path.stream, reqId);
      expect(got, `${path.model} stream=${path.stream}`).toMatchObject({ status: 200, completed: true });
      expect(got.text.length).toBeGreaterThan(0);
      const logged = p.logs().find((l) => l.level === 50 && l.reqId === reqId);
      expect(logged, `error log of ${reqId}`).toMatchObject({ msg: expect.stringContaining("response store write failed"), responseId: got.id });
      const trace = (await (await fetch(`${p.url}/admin/traces/${reqId}`, { headers: admin })).json()) as {
        status: number;
        warningList: { code: string; message: string }[];
      };
      expect(trace.status).toBe(200);
      expect(trace.warningList.find((w) => w.code === "not_stored")?.message).toMatch(
        /not stored: the response store failed \(no such table: StoredResponse\)/,
      );
    }
    expect(await storeErrors(p)).toBe(PATHS.length);

    other.exec(`ALTER TABLE "StoredResponseAway" RENAME TO "StoredResponse"`);
    // Not stored: the ids are unknown once the table is back.
    expect((await fetch(`${p.url}/v1/responses/resp_up0`)).status).toBe(200);
    for (const i of [1, 2]) expect((await fetch(`${p.url}/v1/responses/resp_up${i}`)).status).toBe(404);
    for (const path of PATHS) {
      const got = await ask(p, path.model, path.stream, `store-ok-${path.model}-${path.stream}`);
      expect(got.completed).toBe(true);
      expect((await fetch(`${p.url}/v1/responses/${got.id}`)).status).toBe(200);
    }
    expect(await storeErrors(p)).toBe(PATHS.length);
  });

  it.skipIf(pgSkip !== undefined)(
    "PostgreSQL dropped under the proxy: every storing path still answers and counts the failure; the process stays up",
    async () => {
      const db = await createTestDatabase();
      const up = await responsesUpstream();
      const p = await proxyOn(db.url, up);
      // Warm the pools, then take the database away with every connection to it.
      expect((await ask(p, "native", false, "pg-warm")).completed).toBe(true);
      const c = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, "/postgres") });
      await c.connect();
      await c.query(`DROP DATABASE "${new URL(db.url).pathname.slice(1)}" WITH (FORCE)`);
      await c.end();

      for (const [i, path] of PATHS.entries()) {
        const reqId = `pg-fail-${i}`;
        const got = await ask(p, path.model, path.stream, reqId);
        expect(got, `${path.model} stream=${path.stream}`).toMatchObject({ status: 200, completed: true });
        expect(p.logs().some((l) => l.level === 50 && l.reqId === reqId && String(l.msg).includes("response store write failed"))).toBe(true);
      }
      expect(await storeErrors(p)).toBe(PATHS.length);
      expect((await fetch(`${p.url}/health`)).status).toBeLessThan(600);
    },
  );
});
