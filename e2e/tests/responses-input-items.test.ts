// `/v1/responses` with long `input` arrays: past `proxy_settings.responses.max_input_items` a 400
// in OpenAI's shape before any per-item work, so the event loop stays free (/health answers), and
// the stored input items of an accepted request each get their own id.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxyProcess, type RunningProxy, sleep, spawnProxy, startProxy } from "../lib/harness.js";

const MODELS = `model_list:
  - model_name: mock
    model_params: { api_type: mock }
`;

const inputOf = (n: number) => `{"model":"mock","input":[${new Array<string>(n).fill('{"role":"user","content":""}').join(",")}]}`;

describe("an input list past the default bound, with trace capture full", () => {
  let proc: ProxyProcess;
  beforeAll(async () => {
    proc = await spawnProxy(`${MODELS}proxy_settings:\n  traces: { capture: full, flush_interval_ms: 50 }\n`);
  }, 60_000);
  afterAll(async () => proc.kill());

  it("answers 400 too_many_input_items while /health keeps answering", async () => {
    // 300,000 items (8.7 MB): copied, stored and translated item by item this held the loop for seconds.
    const body = inputOf(300_000);
    let worst = 0;
    let done = false;
    const poll = (async () => {
      while (!done) {
        const t = performance.now();
        expect((await fetch(`${proc.url}/health`)).status).toBe(200);
        worst = Math.max(worst, performance.now() - t);
        await sleep(10);
      }
    })();
    const res = await fetch(`${proc.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const answer = await res.json();
    done = true;
    await poll;
    expect(res.status).toBe(400);
    expect(answer).toEqual({
      error: { message: "input holds 300000 items; the limit is 100000.", type: "invalid_request_error", param: "input", code: "too_many_input_items" },
    });
    // Parsing and capturing 8.7 MB remains; the per-item work does not.
    expect(worst).toBeLessThan(2000);
    expect((await fetch(`${proc.url}/health`)).status).toBe(200);
  }, 60_000);
});

describe("proxy_settings.responses.max_input_items", () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await startProxy(`${MODELS}proxy_settings:\n  responses: { max_input_items: 50 }\n`);
  });
  afterAll(async () => proxy.close());

  const post = (body: string) => fetch(`${proxy.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("refuses one item past the limit, background requests included", async () => {
    for (const extra of ["", ',"background":true']) {
      const res = await post(inputOf(51).replace(/}$/, `${extra}}`));
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ param: "input", code: "too_many_input_items", type: "invalid_request_error" });
    }
  });

  it("serves the limit itself and stores each input item under its own id", async () => {
    const res = await post(inputOf(50));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const ids: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await (await fetch(`${proxy.url}/v1/responses/${id}/input_items?order=asc&limit=100${after ? `&after=${after}` : ""}`)).json()) as {
        data: Array<{ id: string; type: string }>;
        has_more: boolean;
        last_id: string;
      };
      ids.push(...page.data.map((i) => i.id));
      if (!page.has_more) break;
      after = page.last_id;
    }
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
    for (const itemId of ids) expect(itemId).toMatch(/^msg_[0-9a-f]+$/);
    // Another request's items never share those ids.
    const second = (await (await post(inputOf(3))).json()) as { id: string };
    const { data } = (await (await fetch(`${proxy.url}/v1/responses/${second.id}/input_items`)).json()) as { data: Array<{ id: string }> };
    for (const item of data) expect(ids).not.toContain(item.id);
  });
});
