// The real Codex CLI's own compaction on a chat backend: with its built-in OpenAI provider
// (`openai_base_url` pointing at the proxy) Codex compacts remotely — 0.17x with an ordinary streamed
// create over its WebSocket whose input ends with `{"type":"compaction_trigger"}`. A low
// `model_auto_compact_token_limit` makes it compact in the middle of a tool round trip; the proxy
// summarizes with the route's model, answers the one compaction item, and Codex's next request
// carries it, which reaches the upstream as the summary instead of the history.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { INSTALL_TIMEOUT_MS, ensureClis, execCodex } from "../lib/clis.js";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { chatCompletionOf, chatStreamFrames, writeSse } from "../lib/scripted.js";

const MARKER = "yallmproxy-codex-compact-marker";
const SUMMARY = "CODEX-SUMMARY: the user asked to echo the marker; it was echoed.";

beforeAll(ensureClis, INSTALL_TIMEOUT_MS);

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type Fn = { type: string; function?: { name: string } };
type Msg = { role: string; content: unknown };

const isSummaryRequest = (messages: Msg[]) => JSON.stringify(messages.at(-1)?.content ?? "").includes("Summarize the conversation so far");

/** A chat upstream: a call to Codex's shell tool (with a large usage), the summary when asked, then the final text. */
async function compactingUpstream(): Promise<Upstream> {
  let calls = 0;
  const up = await startUpstream(async (req, res) => {
    const messages = (req.json?.messages as Msg[] | undefined) ?? [];
    const usage = { prompt_tokens: 90_000, completion_tokens: 50, total_tokens: 90_050 };
    if (isSummaryRequest(messages)) {
      const answer = { text: [SUMMARY], usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } };
      return req.json?.stream === true ? writeSse(res, chatStreamFrames(answer)) : sendJson(res, 200, chatCompletionOf(answer));
    }
    if (calls++ === 0) {
      const names = ((req.json?.tools as Fn[] | undefined) ?? []).map((t) => t.function?.name ?? "");
      const shell = names.find((n) => n === "exec_command") ?? "shell";
      const args = JSON.stringify(shell === "exec_command" ? { cmd: `echo ${MARKER}` } : { command: ["bash", "-lc", `echo ${MARKER}`] });
      return writeSse(res, chatStreamFrames({ toolCalls: [{ id: "call_cx1", name: shell, argumentFragments: [args] }], usage }));
    }
    await writeSse(res, chatStreamFrames({ text: ["Compacted and done."], usage: { prompt_tokens: 200, completion_tokens: 5, total_tokens: 205 } }));
  });
  cleanup.push(up.close);
  return up;
}

async function proxy(up: Upstream): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - model_name: codex-test
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return p;
}

async function runCodex(baseUrl: string, prompt: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = mkdtempSync(join(tmpdir(), "yallmp-codexcp-home-"));
  const cwd = mkdtempSync(join(tmpdir(), "yallmp-codexcp-cwd-"));
  cleanup.push(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });
  writeFileSync(join(home, "config.toml"), `model = "codex-test"\nopenai_base_url = "${baseUrl}"\nmodel_auto_compact_token_limit = 1000\n`);
  const { code, stdout, stderr } = await execCodex({ home, cwd, prompt, env: { OPENAI_API_KEY: "sk-codex-test" } });
  return { code, stdout, stderr };
}

describe("Codex CLI's automatic compaction on a chat backend", () => {
  it("its compaction turn is served by the route's model, and Codex continues from the summary", { timeout: 120_000 }, async () => {
    const up = await compactingUpstream();
    const p = await proxy(up);
    const run = await runCodex(`${p.url}/v1`, `Run: echo ${MARKER}`);
    const logs = p.logs();
    const seen = logs.filter((l) => l.msg === "request").map((l) => `${String(l.method)} ${String(l.url ?? l.path)} ${String(l.status)}`);
    expect(run.code, `${run.stderr.slice(-3000)}\n${seen.join("\n")}`).toBe(0);
    expect(run.stdout).toContain("Compacted and done.");
    const summaries = up.requests.filter((r) => isSummaryRequest((r.json?.messages as Msg[]) ?? []));
    expect(summaries.length, seen.join("\n")).toBeGreaterThanOrEqual(1);
    // The summarization call saw the tool's output; the last turn got the summary, not the history.
    expect(JSON.stringify(summaries[0]!.json!.messages)).toContain(MARKER);
    const last = up.requests.at(-1)!.json!.messages as Msg[];
    expect(JSON.stringify(last)).toContain(SUMMARY);
    expect(last.some((m) => m.role === "tool")).toBe(false);
  });
});
