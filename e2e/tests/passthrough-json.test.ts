// Pass-through JSON bodies are held until they end (up to 4 MiB) so a broken one still gets an error
// status; a bigger one is relayed as it arrives, and if it breaks after that the connection is closed
// (the client sees an incomplete body, never a short one that looks whole).

import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatCompletion, sleep, startProxy, startUpstream } from "../lib/harness.js";

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A chat completion of about `bytes` bytes, sent in 64 KiB chunks; cut after `cutAt` bytes if given. */
async function bigUpstream(bytes: number, cutAt?: number): Promise<Upstream> {
  const body = Buffer.from(JSON.stringify(chatCompletion("x".repeat(bytes))));
  const up = await startUpstream(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
    for (let at = 0; at < body.length; at += 64 * 1024) {
      if (cutAt !== undefined && at >= cutAt) {
        res.socket?.destroy();
        return;
      }
      res.write(body.subarray(at, at + 64 * 1024));
      await sleep(1);
    }
    res.end();
  });
  cleanups.push(up.close);
  return up;
}

async function proxyOn(up: Upstream): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - { model_name: m, model_params: { api_type: openai, api_base: ${up.url} } }
router_settings: { num_retries: 0 }
`);
  cleanups.push(p.close);
  return p;
}

const ask = (p: RunningProxy) =>
  fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });

describe("pass-through JSON bodies", () => {
  it("are held across many chunks and delivered whole", async () => {
    const p = await proxyOn(await bigUpstream(1024 * 1024));
    const res = await ask(p);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0]!.message.content).toHaveLength(1024 * 1024);
  });

  it("held, a body that breaks is a 502 even after 1 MiB arrived", async () => {
    const p = await proxyOn(await bigUpstream(2 * 1024 * 1024, 1024 * 1024));
    const res = await ask(p);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_connection_closed" } });
  });

  it("past 4 MiB are relayed as they arrive, whole", async () => {
    const p = await proxyOn(await bigUpstream(6 * 1024 * 1024));
    const res = await ask(p);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0]!.message.content).toHaveLength(6 * 1024 * 1024);
  });

  it("past 4 MiB, a body that breaks closes the client's connection before the body's end", async () => {
    const p = await proxyOn(await bigUpstream(6 * 1024 * 1024, 5 * 1024 * 1024));
    const res = await ask(p);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow(/terminated/);
  });
});
