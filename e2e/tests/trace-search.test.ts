// Searching the traces (GET /admin/traces): by date range, outcome, stop reason, tool calls, client
// format, backend and full text over the captured bodies, paged by cursor; on SQLite (FTS5) and on
// PostgreSQL (tsvector).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import { type RunningProxy, type Upstream, chatCompletion, sendJson, startProxy, startUpstream } from "../lib/harness.js";

const ADMIN = "admin-pw-for-search";

interface Row {
  id: string;
  model: string;
  backend: string | null;
  status: number | null;
  clientFormat: string;
  finishReason: string | null;
  toolCalls: number;
  startedAt: string;
}

async function list(p: RunningProxy, query: string): Promise<{ data: Row[]; next_cursor: string | null }> {
  const res = await fetch(`${p.url}/admin/traces?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { data: Row[]; next_cursor: string | null };
}

function toolAnswer(): Record<string, unknown> {
  return {
    ...chatCompletion(""),
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
        },
        finish_reason: "tool_calls",
      },
    ],
  };
}

function suite(name: string, databaseUrl: () => Promise<{ url?: string; drop?: () => Promise<void> }>): void {
  describe(name, () => {
    let up: Upstream;
    let down: Upstream;
    let p: RunningProxy;
    let drop: (() => Promise<void>) | undefined;
    let before: string;

    beforeAll(async () => {
      up = await startUpstream((req, res) => {
        const text = JSON.stringify(req.json?.messages ?? "");
        if (text.includes("weather")) return sendJson(res, 200, toolAnswer());
        sendJson(res, 200, chatCompletion(text.includes("zebra") ? "stripes galore" : "plain answer"));
      });
      down = await startUpstream((_req, res) => sendJson(res, 400, { error: { message: "bad request upstream", type: "invalid_request_error" } }));
      const db = await databaseUrl();
      drop = db.drop;
      p = await startProxy(
        `
model_list:
  - model_name: alpha
    model_params: { api_type: openai, api_base: ${up.url}, model: a }
  - model_name: beta
    model_params: { api_type: openai, api_base: ${up.url}, model: b }
  - model_name: broken
    model_params: { api_type: openai, api_base: ${down.url}, model: x }
proxy_settings:
  traces: { capture: full, flush_interval_ms: 20 }
`,
        { YALLMP_ADMIN_PASSWORD: ADMIN, ...(db.url ? { DATABASE_URL: db.url } : {}) },
      );
      const chat = (model: string, content: string) =>
        fetch(`${p.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
        });
      for (const [model, content] of [
        ["alpha", "tell me about the zebra"],
        ["beta", "what is the weather in Oslo"],
        ["alpha", "hello there"],
        ["broken", "this one fails"],
      ] as const) {
        await (await chat(model, content)).text();
      }
      before = new Date().toISOString();
      for (let i = 0; i < 5; i++) await (await chat("beta", `filler number ${i}`)).text();
      await (
        await fetch(`${p.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "alpha", max_tokens: 10, messages: [{ role: "user", content: "anthropic style question" }] }),
        })
      ).text();
    });

    afterAll(async () => {
      await p?.close();
      await up?.close();
      await down?.close();
      await drop?.();
    });

    it("finds traces by words in their captured bodies, request and answer alike", async () => {
      const zebra = await list(p, "q=zebra");
      expect(zebra.data.map((r) => r.model)).toEqual(["alpha"]);
      expect((await list(p, "q=stripes%20galore")).data).toHaveLength(1);
      expect((await list(p, "q=stripes%20weather")).data).toHaveLength(0);
      // Query syntax in the text is only words: it neither errors nor matches everything.
      expect((await list(p, `q=${encodeURIComponent('"zebra" * ( ^ :')}`)).data.map((r) => r.model)).toEqual(["alpha"]);
      expect((await list(p, "q=filler&model=beta")).data).toHaveLength(5);
      expect((await list(p, "q=filler&model=alpha")).data).toHaveLength(0);
    });

    it("filters by stop reason, tool calls, outcome, client format and backend", async () => {
      const tools = await list(p, "tools=true");
      expect(tools.data.map((r) => [r.model, r.finishReason, r.toolCalls])).toEqual([["beta", "tool_calls", 1]]);
      expect((await list(p, "finish=tool_calls")).data).toHaveLength(1);
      expect((await list(p, "finish=stop")).data.length).toBe(8);
      expect((await list(p, "tools=false&model=beta")).data).toHaveLength(5);
      expect((await list(p, "status=error")).data.map((r) => [r.model, r.status])).toEqual([["broken", 400]]);
      expect((await list(p, "client=messages")).data.map((r) => r.model)).toEqual(["alpha"]);
      expect((await list(p, "backend=broken")).data).toHaveLength(1);
      expect((await list(p, "status=ok&q=oslo")).data.map((r) => r.finishReason)).toEqual(["tool_calls"]);
    });

    it("filters by date range and pages past the first page by cursor", async () => {
      const later = await list(p, `from=${encodeURIComponent(before)}`);
      expect(later.data).toHaveLength(6);
      const earlier = await list(p, `to=${encodeURIComponent(before)}`);
      expect(earlier.data).toHaveLength(4);
      const seen: string[] = [];
      let cursor: string | null = "";
      do {
        const page: { data: Row[]; next_cursor: string | null } = await list(p, `limit=3${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.data.map((r) => r.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toHaveLength(10);
      expect(new Set(seen).size).toBe(10);
      // The text search pages the same way.
      const first = await list(p, "q=filler&limit=2");
      const second = await list(p, `q=filler&limit=2&cursor=${first.next_cursor}`);
      const third = await list(p, `q=filler&limit=2&cursor=${second.next_cursor}`);
      expect([...first.data, ...second.data, ...third.data].map((r) => r.id)).toEqual((await list(p, "q=filler")).data.map((r) => r.id));
      expect(third.next_cursor).toBeNull();
    });

    it("refuses bad filters with a clear error", async () => {
      for (const [query, field] of [
        ["tools=maybe", "tools"],
        ["from=yesterday", "from"],
        [`q=${"a".repeat(501)}`, "q"],
      ]) {
        const res = await fetch(`${p.url}/admin/traces?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
        expect(res.status).toBe(400);
        expect(JSON.stringify(await res.json())).toContain(field);
      }
    });
  });
}

suite("trace search on SQLite", async () => ({}));

const pgSkip = await postgresAvailable();
describe.skipIf(pgSkip !== undefined)("on PostgreSQL", () => {
  suite("trace search on PostgreSQL", async () => createTestDatabase());
});
