// yaLLMproxy's enable_responses_endpoint / enable_messages_endpoint flags, each answered in its
// client's own error format.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, startProxy } from "../lib/harness.js";

let p: RunningProxy;
beforeAll(async () => {
  p = await startProxy(`
model_list:
  - { model_name: m, model_params: { api_type: mock } }
proxy_settings:
  enable_responses_endpoint: false
  enable_messages_endpoint: false
`);
});
afterAll(async () => p.close());

const post = (path: string, body: unknown) =>
  fetch(`${p.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("endpoint flags", () => {
  it("turns /v1/responses and /v1/responses/input_tokens off with OpenAI errors", async () => {
    for (const path of ["/v1/responses", "/v1/responses/input_tokens"]) {
      const res = await post(path, { model: "m", input: "x" });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "endpoint_disabled" } });
    }
  });

  it("turns /v1/messages and count_tokens off with Anthropic errors", async () => {
    for (const [path, body] of [
      ["/v1/messages", { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }] }],
      ["/v1/messages/count_tokens", { model: "m", messages: [{ role: "user", content: "x" }] }],
    ] as const) {
      const res = await post(path, body);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    }
  });

  it("keeps chat completions on", async () => {
    expect((await post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "x" }] })).status).toBe(200);
  });
});
