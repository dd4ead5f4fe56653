// Anthropic Messages and Responses requests translated for a chat backend are parsed as skeletons
// (long text stood in for by placeholders, its bytes put back into the upstream body): the upstream
// must get exactly the bytes the full parse and serialization send, which a proxy with trace capture
// `full` (which keeps the client's text, so parses in full) shows side by side.

import { afterEach, describe, expect, it } from "vitest";
import { agentBody } from "../../bench/agent-body.mjs";
import { type RunningProxy, type Upstream, chatChunk, chatCompletion, sendJson, startProxy, startUpstream } from "../lib/harness.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function pair(): Promise<{ up: Upstream; fast: RunningProxy; full: RunningProxy }> {
  const up = await startUpstream((req, res) => {
    // Read from the text: a body with a raw control character in a string is not JSON to a parser.
    if (req.body.includes('"stream":true')) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`${chatChunk({ role: "assistant", content: "ok" })}${chatChunk({}, { finish: "stop" })}data: [DONE]\n\n`);
    } else sendJson(res, 200, chatCompletion("ok"));
  });
  cleanup.push(up.close);
  const models = `
model_list:
  - model_name: alias
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: real-model }
`;
  const fast = await startProxy(models);
  cleanup.push(fast.close);
  const full = await startProxy(`${models}proxy_settings:\n  traces: { capture: full }\n`);
  cleanup.push(full.close);
  return { up, fast, full };
}

const post = (p: RunningProxy, path: string, text: string) =>
  fetch(`${p.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: text });

const tricky = `${'quote " backslash \\ run \\\\" newline \n tab \t nul \u0000 line sep \u2028 é 😀 lone \ud800 placeholder-like yLp0x0q '.repeat(12)}`;

describe("translating on a skeleton", () => {
  it("sends the chat backend the very bytes of the full parse, for agent histories and odd text", async () => {
    const { up, fast, full } = await pair();
    const bodies: Array<[string, string]> = [];
    for (const stream of [false, true]) {
      bodies.push(["/v1/messages", JSON.stringify(agentBody("messages", 300_000, { model: "alias", stream }))]);
      bodies.push(["/v1/responses", JSON.stringify(agentBody("responses", 300_000, { model: "alias", stream }))]);
    }
    bodies.push([
      "/v1/messages",
      JSON.stringify({
        model: "alias",
        max_tokens: 9,
        system: tricky,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: tricky },
              { type: "tool_result", tool_use_id: "t", content: tricky },
            ],
          },
        ],
      }),
    ]);
    bodies.push([
      "/v1/responses",
      JSON.stringify({
        model: "alias",
        store: false,
        instructions: tricky,
        input: [
          { type: "message", role: "user", content: tricky },
          { type: "function_call_output", call_id: "c", output: tricky },
        ],
      }),
    ]);
    for (const [path, text] of bodies) {
      for (const p of [fast, full]) {
        const res = await post(p, path, text);
        expect(res.status).toBe(200);
        // No placeholder reaches the client either (a Response echoes some of its request).
        expect(await res.text()).not.toMatch(/yLp[0-9a-f]{18}x/);
      }
      const [a, b] = up.requests.slice(-2);
      expect(a!.body.length).toBeGreaterThan(0);
      expect(a!.body === b!.body).toBe(true);
    }
  });

  it("estimates a streamed Messages answer's input tokens from the real text's length, as the full parse does (its escapes counted as written)", async () => {
    const { fast, full } = await pair();
    const text = JSON.stringify(agentBody("messages", 100_000, { model: "alias", stream: true }));
    const starts = [];
    for (const p of [fast, full]) {
      const sse = await (await post(p, "/v1/messages", text)).text();
      starts.push(JSON.parse(/event: message_start\ndata: (.*)\n/.exec(sse)![1]!).message.usage.input_tokens as number);
    }
    expect(starts[0]).toBeGreaterThan(10_000);
    expect(starts[0]).toBeGreaterThanOrEqual(starts[1]!);
    expect(starts[0]).toBeLessThanOrEqual(Math.ceil(starts[1]! * 1.06));
  });

  it("does not look inside long strings it stands in for (a raw tab there is the backend's to judge)", async () => {
    const { up, fast, full } = await pair();
    for (const stream of [false, true]) {
      const text = `{"model":"alias","max_tokens":9,"stream":${stream},"messages":[{"role":"user","content":"${"tab\t".repeat(100)}"}]}`;
      expect((await post(fast, "/v1/messages", text)).status).toBe(200);
      expect(up.requests.at(-1)!.body).toContain("tab\t".repeat(100));
      const res = await post(full, "/v1/messages", text);
      expect(res.status).toBe(400);
    }
    expect(up.requests).toHaveLength(2);
  });

  it("still answers a body that breaks outside its long strings with the proxy's own 400", async () => {
    const { up, fast } = await pair();
    const text = JSON.stringify({ model: "alias", max_tokens: 9, messages: [{ role: "user", content: "x".repeat(1000) }] });
    const res = await post(fast, "/v1/messages", `${text.slice(0, -1)},}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const bad = await post(fast, "/v1/responses", JSON.stringify({ model: "alias", store: false, input: [{ type: "wizard", text: "y".repeat(1000) }] }));
    expect(bad.status).toBe(400);
    expect(up.requests).toHaveLength(0);
  });
});
