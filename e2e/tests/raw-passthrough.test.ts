// Same-format pass-through of large bodies: when a route changes nothing but the model name, the
// upstream gets the client's own bytes with the name spliced in (not a re-serialization); whenever
// the bytes and the parsed body could disagree, or the route edits the body, it gets the parse.

import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatCompletion, sendJson, startProxy, startUpstream } from "../lib/harness.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(modelParams = "", apiType = "openai"): Promise<{ up: Upstream; p: RunningProxy }> {
  const up = await startUpstream((req, res) =>
    apiType === "anthropic"
      ? sendJson(res, 200, {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "real-model",
          content: [{ type: "text", text: "ok" }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        })
      : sendJson(res, 200, chatCompletion("ok")),
  );
  cleanup.push(up.close);
  const p = await startProxy(`
model_list:
  - model_name: alias
    model_params:
      api_type: ${apiType}
      api_base: ${up.url}
      api_key: sk-up
      model: real-model
${modelParams}
`);
  cleanup.push(p.close);
  return { up, p };
}

const post = (p: RunningProxy, path: string, text: string) =>
  fetch(`${p.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: text });

// Formatting a re-serialization would not keep: spaces, key order, an escaped slash, a long history.
const history = Array.from({ length: 200 }, (_, i) => `  {"role": "user", "content": "turn ${i}: caf\u00e9 \\/ \\"quoted\\" \\n next line"}`).join(",\n");
const chatText = `{\n  "messages": [\n${history}\n  ],\n  "model": "alias",\n  "temperature": 1.0\n}`;

describe("relaying the client's bytes", () => {
  it("sends a chat body byte for byte, with only the model name replaced", async () => {
    const { up, p } = await setup();
    const res = await post(p, "/v1/chat/completions", chatText);
    expect(res.status).toBe(200);
    expect(up.requests[0]!.body).toBe(chatText.replace('"model": "alias"', '"model": "real-model"'));
  });

  it("sends an Anthropic Messages body to an Anthropic backend the same way", async () => {
    const { up, p } = await setup("", "anthropic");
    const text = `{"model" : "alias", "max_tokens": 10, "messages": [{"role": "user", "content": "hi \\u00e9"}]}`;
    const res = await post(p, "/v1/messages", text);
    expect(res.status).toBe(200);
    expect(up.requests[0]!.body).toBe(text.replace('"alias"', '"real-model"'));
  });

  it("serializes the parsed body when the route sets parameters", async () => {
    const { up, p } = await setup(`      parameters:\n        temperature: { default: 0.2, allow_override: false }`);
    const res = await post(p, "/v1/chat/completions", chatText);
    expect(res.status).toBe(200);
    const sent = up.requests[0]!;
    expect(sent.body).not.toContain("\n");
    expect(sent.json).toMatchObject({ model: "real-model", temperature: 0.2 });
    expect((sent.json!.messages as unknown[]).length).toBe(200);
  });

  it("never lets a duplicated or escaped model key reach the upstream under the client's name", async () => {
    const { up, p } = await setup();
    for (const text of [
      '{"model":"real-model-not-this","messages":[{"role":"user","content":"hi"}],"model":"alias"}',
      '{"model":"alias","messages":[{"role":"user","content":"hi"}],"mod\\u0065l":"alias"}',
    ]) {
      const res = await post(p, "/v1/chat/completions", text);
      expect(res.status).toBe(200);
    }
    for (const sent of up.requests) {
      expect(sent.body).not.toContain("alias");
      expect(sent.json!.model).toBe("real-model");
    }
  });
});
