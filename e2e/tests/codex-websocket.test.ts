// The real Codex CLI with its built-in OpenAI provider (`openai_base_url` pointing at the proxy, the
// most common set-up), which speaks Responses WebSocket mode: on a loopback chat-completions upstream
// Codex gets a call to its shell tool, runs it, sends the output back on the same socket and prints
// the final answer — with one socket and no WebSocket retry or HTTP fallback. With WebSocket mode
// turned off, the upgrade's 426 sends Codex to HTTP at once.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { INSTALL_TIMEOUT_MS, ensureClis, execCodex } from "../lib/clis.js";
import { type RunningProxy, type Upstream, startProxy, startUpstream } from "../lib/harness.js";
import { chatStreamFrames, writeSse } from "../lib/scripted.js";

const MARKER = "yallmproxy-codex-ws-marker";

beforeAll(ensureClis, INSTALL_TIMEOUT_MS);

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type Fn = { type: string; function?: { name: string } };

/** A chat upstream: first a call to Codex's shell tool, then the final text. */
async function toolRoundTrip(): Promise<Upstream> {
  const up = await startUpstream(async (req, res, i) => {
    const names = ((req.json?.tools as Fn[] | undefined) ?? []).map((t) => t.function?.name ?? "");
    if (i === 0) {
      const shell = names.find((n) => n === "exec_command") ?? "shell";
      const args = JSON.stringify(shell === "exec_command" ? { cmd: `echo ${MARKER}` } : { command: ["bash", "-lc", `echo ${MARKER}`] });
      await writeSse(res, chatStreamFrames({ text: ["Running it."], toolCalls: [{ id: "call_ws1", name: shell, argumentFragments: args.match(/.{1,9}/g)! }] }));
    } else await writeSse(res, chatStreamFrames({ text: ["The socket carried ", "the marker back."] }));
  });
  cleanup.push(up.close);
  return up;
}

async function proxy(up: Upstream, extra = ""): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - model_name: codex-test
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
${extra}`);
  cleanup.push(p.close);
  return p;
}

/** `codex exec` with the built-in OpenAI provider, its base URL the proxy's. */
async function runCodex(baseUrl: string, prompt: string): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const home = mkdtempSync(join(tmpdir(), "yallmp-codexws-home-"));
  const cwd = mkdtempSync(join(tmpdir(), "yallmp-codexws-cwd-"));
  cleanup.push(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });
  writeFileSync(join(home, "config.toml"), `model = "codex-test"\nopenai_base_url = "${baseUrl}"\n`);
  const started = performance.now();
  const { code, stdout, stderr } = await execCodex({ home, cwd, prompt, env: { OPENAI_API_KEY: "sk-codex-test" } });
  return { code, stdout, stderr, ms: performance.now() - started };
}

describe("Codex CLI with the built-in OpenAI provider (Responses WebSocket mode)", () => {
  it("completes a tool round trip over one WebSocket, with no retry and no HTTP fallback", { timeout: 120_000 }, async () => {
    const up = await toolRoundTrip();
    const p = await proxy(up);
    const run = await runCodex(`${p.url}/v1`, `Run: echo ${MARKER}`);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain("The socket carried the marker back.");
    expect(run.stderr).not.toMatch(/reconnect|retrying|falling back/i);

    const logs = p.logs();
    expect(logs.filter((l) => l.msg === "websocket opened")).toHaveLength(1);
    const turns = logs.filter((l) => l.msg === "request" && l.model === "codex-test");
    // Codex opens with a `generate: false` warm-up (no model call), then its two model turns.
    expect(turns[0]).toMatchObject({ warmup: true });
    expect(turns.filter((t) => !t.warmup)).toHaveLength(2);
    // Every turn went over the socket, each answered in full.
    for (const t of turns) expect(t).toMatchObject({ websocket: true, status: 200 });
    expect(up.requests).toHaveLength(2);
    const messages = up.requests[1]!.json!.messages as Array<Record<string, any>>;
    const toolMessage = messages.find((m) => m.role === "tool");
    expect(toolMessage).toMatchObject({ tool_call_id: "call_ws1" });
    expect(JSON.stringify(toolMessage!.content)).toContain(MARKER);
  });

  it("falls back to HTTP at once when WebSocket mode is off (the upgrade gets 426)", { timeout: 120_000 }, async () => {
    const up = await toolRoundTrip();
    const p = await proxy(up, "proxy_settings:\n  enable_responses_websocket: false\n");
    const run = await runCodex(`${p.url}/v1`, `Run: echo ${MARKER}`);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain("The socket carried the marker back.");
    const turns = p.logs().filter((l) => l.msg === "request" && l.model === "codex-test");
    expect(turns.length).toBeGreaterThanOrEqual(2);
    for (const t of turns) expect(t.websocket).toBeUndefined();
    // No retry loop before the fallback (it takes about 7 s on a 404).
    expect(run.ms).toBeLessThan(6000);
  });
});
