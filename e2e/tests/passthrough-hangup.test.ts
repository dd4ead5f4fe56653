// A client that hangs up right after a pass-through stream's last event was answered, not "gone"
// (Codex closes the connection on response.completed, before the upstream's body ends).

import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatChunk, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function readUntil(res: Response, marker: string): Promise<void> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
}

async function lastLog(p: RunningProxy): Promise<Record<string, unknown> | undefined> {
  for (let i = 0; i < 50; i++) {
    const line = p.logs().find((l) => l.msg === "request");
    if (line) return line;
    await sleep(20);
  }
  return undefined;
}

describe("a client leaving after the last event", () => {
  it.each([
    ["chat", "/v1/chat/completions", "openai", "data: [DONE]"],
    ["responses", "/v1/responses", "openai-responses", "event: response.completed"],
  ])("is logged as answered on a %s pass-through", async (_name, path, apiType, marker) => {
    const up: Upstream = await startUpstream(async (_req, res) => {
      sseHead(res);
      if (apiType === "openai") {
        res.write(chatChunk({ role: "assistant", content: "hi" }));
        res.write(chatChunk({}, { finish: "stop" }));
        res.write("data: [DONE]\n\n");
      } else {
        const response = { id: "resp_up1", object: "response", status: "completed", output: [], usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } };
        res.write(
          `event: response.created\ndata: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: { ...response, status: "in_progress" } })}\n\n`,
        );
        res.write(`event: response.completed\ndata: ${JSON.stringify({ type: "response.completed", sequence_number: 1, response })}\n\n`);
      }
      // The upstream keeps its body open a while after the last event.
      await sleep(400);
      res.end();
    });
    cleanups.push(up.close);
    const p = await startProxy(`
model_list:
  - { model_name: m, model_params: { api_type: ${apiType}, api_base: ${up.url} } }
`);
    cleanups.push(p.close);
    const body = path === "/v1/responses" ? { model: "m", input: "x", stream: true } : { model: "m", messages: [{ role: "user", content: "x" }], stream: true };
    const res = await fetch(`${p.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await readUntil(res, marker);
    expect((await lastLog(p))?.status).toBe(200);
  });
});
