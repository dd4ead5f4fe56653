// Same-format bodies that only need relaying are scanned, never parsed: the upstream gets the client's
// bytes with the model name spliced in, broken or too deep JSON and bodies the route's schema refuses
// still get the proxy's own 400 (the upstream never called), and whenever something needs the content
// (parameters, trace capture `full`) the body is parsed as before.

import { afterEach, describe, expect, it } from "vitest";
import { agentBody } from "../../bench/agent-body.mjs";
import { type RunningProxy, type Upstream, chatCompletion, sendJson, startProxy, startUpstream } from "../lib/harness.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(apiType = "openai"): Promise<{ up: Upstream; p: RunningProxy }> {
  const up = await startUpstream((_req, res) =>
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
    model_params: { api_type: ${apiType}, api_base: ${up.url}, api_key: sk-up, model: real-model }
`);
  cleanup.push(p.close);
  return { up, p };
}

const post = (p: RunningProxy, path: string, text: string | Buffer) =>
  fetch(`${p.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
const errorOf = async (res: Response) => ((await res.json()) as { error: Record<string, unknown> }).error;

// A raw tab inside a string: JSON.parse refuses it, a scan of the structure does not look inside strings.
const TAB_BODY = '{"model":"alias","messages":[{"role":"user","content":"a\tb"}]}';

describe("relaying a body unparsed", () => {
  it("sends an agent's 1 MB history byte for byte, the model name spliced even when it comes last", async () => {
    const { up, p } = await setup();
    const { model: _model, ...rest } = agentBody("chat", 1 << 20);
    const text = JSON.stringify({ ...rest, model: "alias" });
    const res = await post(p, "/v1/chat/completions", text);
    expect(res.status).toBe(200);
    expect(up.requests[0]!.body).toBe(text.replace('"model":"alias"', '"model":"real-model"'));
  });

  it("never parses it: the bytes inside strings are the upstream's to judge", async () => {
    const { up, p } = await setup();
    const res = await post(p, "/v1/chat/completions", TAB_BODY);
    expect(res.status).toBe(200);
    expect(up.requests[0]!.body).toBe(TAB_BODY.replace("alias", "real-model"));
  });

  it("relays an Anthropic Messages body to an Anthropic backend the same way", async () => {
    const { up, p } = await setup("anthropic");
    const text = JSON.stringify(agentBody("messages", 100_000, { model: "alias" }));
    const res = await post(p, "/v1/messages", text);
    expect(res.status).toBe(200);
    expect(up.requests[0]!.body).toBe(text.replace('"model":"alias"', '"model":"real-model"'));
  });

  it("still answers broken JSON, too deep JSON and a schema violation itself, in the route's format", async () => {
    const { up, p } = await setup();
    const cases: Array<[string, string, string | undefined]> = [
      ['{"model":"alias","messages":[{"role":"user","content":"hi"}],}', "invalid_json", undefined],
      ['{"model":"alias","messages":[{"role":"user","content":"hi"}]', "invalid_json", undefined],
      [`{"model":"alias","messages":[{"role":"user","content":"hi"}],"x":${"[".repeat(200)}${"]".repeat(200)}}`, "json_too_deep", undefined],
      ['{"model":"alias","messages":[{"role":"wizard","content":"hi"}]}', "invalid_request_error", "messages[0].role"],
      ['{"model":"alias","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}', "invalid_request_error", "temperature"],
      ['{"model":"alias","messages":[]}', "invalid_request_error", "messages"],
    ];
    for (const [text, code, param] of cases) {
      const res = await post(p, "/v1/chat/completions", text);
      expect(res.status).toBe(400);
      const err = await errorOf(res);
      if (param) expect(err).toMatchObject({ type: code, param });
      else expect(err.code).toBe(code);
    }
    const anth = await post(p, "/v1/messages", '{"model":"alias","max_tokens":1,"messages":[{"role":"user","content":"hi"}');
    expect(anth.status).toBe(400);
    expect(await anth.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(up.requests).toHaveLength(0);
  });

  it("parses the body when the route sets parameters or traces capture it in full", async () => {
    for (const config of [`      parameters:\n        temperature: { default: 0.2 }`, "", "proxy_settings:\n  traces: { capture: full }"]) {
      const { up, p } = await setupWith(config);
      const res = await post(p, "/v1/chat/completions", TAB_BODY);
      if (config === "") {
        expect(res.status).toBe(200);
        continue;
      }
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_json");
      expect(up.requests).toHaveLength(0);
    }
  });
});

/** An OpenAI backend under `alias`, with `config` appended (under the model's params, or after). */
async function setupWith(config: string): Promise<{ up: Upstream; p: RunningProxy }> {
  const up = await startUpstream((_req, res) => sendJson(res, 200, chatCompletion("ok")));
  cleanup.push(up.close);
  const p = await startProxy(`
model_list:
  - model_name: alias
    model_params:
      api_type: openai
      api_base: ${up.url}
      model: real-model
${config}
`);
  cleanup.push(p.close);
  return { up, p };
}
