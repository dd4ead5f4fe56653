// `proxy_settings.usage.enabled: false`: no roll-ups are written, while a key's rate limit still
// counts. Beside it the same proxy with the ledger on writes them, so the test cannot pass idly.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";

const ADMIN = "ledger-off-admin-pw";

function yamlFor(up: Upstream, enabled: boolean): string {
  return `
model_list:
  - model_name: gpt
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: gpt-4o-mini }
proxy_settings:
  usage: { enabled: ${enabled}, flush_interval_ms: 20 }
app_keys:
  enabled: true
  keys:
    - { key_id: alice, secret: sk-alice, rpm_limit: 3 }
`;
}

async function rows(p: RunningProxy): Promise<Array<{ requests: number }>> {
  const res = await fetch(`${p.url}/admin/usage?group_by=key`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Array<{ requests: number }> }).data;
}

describe("the usage ledger switched off", () => {
  let up: Upstream;
  const proxies: RunningProxy[] = [];

  beforeAll(async () => {
    up = await startUpstream((_req, res) =>
      sendJson(res, 200, {
        id: "c1",
        object: "chat.completion",
        created: 1,
        model: "gpt-4o-mini",
        choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
    );
  });

  afterAll(async () => {
    for (const p of proxies) await p.close();
    await up?.close();
  });

  it("writes no roll-ups, and the key's limit still holds", async () => {
    for (const enabled of [true, false]) {
      const p = await startProxy(yamlFor(up, enabled), { YALLMP_ADMIN_PASSWORD: ADMIN });
      proxies.push(p);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${p.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer sk-alice" },
          body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "hi" }] }),
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      // Several flush intervals.
      await new Promise((r) => setTimeout(r, 300));
      const written = (await rows(p)).reduce((s, r) => s + r.requests, 0);
      expect(written).toBe(enabled ? 4 : 0);
    }
  });
});
