// `POST /v1/responses/compact` on a chat backend that reports no usage (some OpenAI-compatible
// servers never do): the compaction object still carries `usage`, as its schema requires, counted
// by the proxy with the o200k tokenizer.

import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";

let up: Upstream;
let p: RunningProxy;

beforeAll(async () => {
  up = await startUpstream((_req, res) =>
    sendJson(res, 200, {
      id: "chatcmpl-up",
      object: "chat.completion",
      created: 1700000000,
      model: "up-model",
      choices: [{ index: 0, message: { role: "assistant", content: "Launch on Tuesday; notify support first." }, finish_reason: "stop" }],
    }),
  );
  p = await startProxy(`
model_list:
  - model_name: on-chat
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
});

afterAll(async () => {
  await p.close();
  await up.close();
});

it("a compaction whose summary call reported no usage gets counted usage", async () => {
  const res = await fetch(`${p.url}/v1/responses/compact`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "on-chat",
      input: [
        { type: "message", role: "user", content: "We agreed to launch on Tuesday and notify support first." },
        { type: "message", role: "assistant", content: "Understood. The launch is Tuesday, with support notified beforehand." },
      ],
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { object: string; usage: Record<string, number> | null };
  expect(body.object).toBe("response.compaction");
  expect(body.usage).toMatchObject({ input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
  const usage = body.usage!;
  expect(usage.input_tokens).toBeGreaterThan(20);
  // "Launch on Tuesday; notify support first." is 8 o200k tokens.
  expect(usage.output_tokens).toBe(8);
  expect(usage.total_tokens).toBe(usage.input_tokens! + usage.output_tokens!);
});
