// Claude Code (`claude -p`, the real CLI) through /v1/messages on a loopback OpenAI-compatible
// chat-completions upstream: a plain answer, and a Bash tool-use round trip; on a loopback Anthropic
// upstream: its betas edited per backend, an upstream error in its own words; on each backend kind
// (chat, native Responses, Anthropic): a file created with Write, then changed with Edit. Then the README's demo:
// Claude Code on the shipped config's mock, which greets "hello" and calls a tool only when asked.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLAUDE_BIN, claudeEnv, INSTALL_TIMEOUT_MS, ensureClis } from "../lib/clis.js";
import { type RecordedRequest, type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { BACKEND_PATH, type BackendFormat, type ScriptedAnswer, chatCompletionOf, chatStreamFrames, streamFramesFor, writeSse } from "../lib/scripted.js";

const MAIN_MODEL = "claude-opus-4-8";
/**
 * Model names Claude Code may ask for. 2.1.330 in `-p` mode was seen asking only for `--model` (no
 * count_tokens, no haiku-class helper call); the helper names are routed too in case a version makes one.
 */
const ALIASES = [MAIN_MODEL, "claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022"];

beforeAll(ensureClis, INSTALL_TIMEOUT_MS);

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(
  answer: (req: RecordedRequest, upstreamModel: string) => ScriptedAnswer,
  supportsReasoning = false,
): Promise<{ up: Upstream; p: RunningProxy }> {
  const up = await startUpstream(async (req, res) => {
    if (req.url !== "/v1/chat/completions" || !req.json) return sendJson(res, 404, { error: { message: `unexpected ${req.method} ${req.url}` } });
    // OpenAI's own limit; Claude Code's metadata.user_id is a ~150-character JSON string.
    const user = req.json.user;
    if (typeof user === "string" && user.length > 64) {
      const message = `Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length ${user.length} instead.`;
      return sendJson(res, 400, { error: { message, type: "invalid_request_error", param: "user", code: "string_above_max_length" } });
    }
    const a = answer(req, String(req.json.model));
    if (req.json.stream === true) await writeSse(res, chatStreamFrames(a));
    else sendJson(res, 200, chatCompletionOf(a));
  });
  cleanup.push(up.close);
  const p = await startProxy(`
model_list:
${ALIASES.map((m) => `  - model_name: ${m}\n    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-${m}, supports_reasoning: ${supportsReasoning} }`).join("\n")}
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return { up, p };
}

interface ClaudeResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, any> | undefined;
  ms: number;
}

/** A throwaway HOME (and working directory) for one Claude Code run. */
function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), "yallmp-claude-"));
  cleanup.push(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

/** Runs `claude -p` in `home`; with `model` null it passes no --model, so Claude Code picks its default. */
function runClaude(proxyUrl: string, args: string[], model: string | null = MAIN_MODEL, home = freshHome()): Promise<ClaudeResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(CLAUDE_BIN, ["-p", ...args, "--output-format", "json", ...(model === null ? [] : ["--model", model])], {
      cwd: home,
      env: claudeEnv(home, proxyUrl),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 110_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      let json: Record<string, any> | undefined;
      try {
        json = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<string, any>;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json, ms: performance.now() - started });
    });
  });
}

/** Every /v1/messages call Claude Code made was answered 200 (no unknown model, no rejected body). */
function expectAllAnswered(p: RunningProxy): void {
  const lines = p.logs().filter((l) => l.msg === "request");
  expect(lines.length).toBeGreaterThanOrEqual(1);
  for (const l of lines) expect(l, JSON.stringify(l)).toMatchObject({ client: "messages", status: 200 });
}

const hasToolResult = (req: RecordedRequest) => (req.json!.messages as Array<{ role: string }>).some((m) => m.role === "tool");

describe("Claude Code through the proxy on a chat-completions backend", () => {
  it("a plain answer: result is the upstream's text", async () => {
    const { up, p } = await setup(() => ({
      text: ["Hello from ", "the chat upstream."],
      usage: { prompt_tokens: 50, completion_tokens: 6, total_tokens: 56 },
    }));
    const r = await runClaude(p.url, ["Say hello"]);
    expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBeDefined();
    expect(r.json).toMatchObject({ type: "result", is_error: false, result: "Hello from the chat upstream." });
    expect(r.json!.usage).toMatchObject({ input_tokens: 50, output_tokens: 6 });
    expectAllAnswered(p);
    expect(r.code).toBe(0);
    const main = up.requests.filter((q) => q.json?.model === `up-${MAIN_MODEL}`);
    expect(main.length).toBeGreaterThanOrEqual(1);
    const body = main[0]!.json!;
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect((body.messages as Array<{ role: string }>)[0]!.role).toBe("system");
    expect((body.tools as Array<{ function: { name: string } }>).map((t) => t.function.name)).toContain("Bash");
  }, 120_000);

  it("a Bash tool-use round trip: the tool result reaches the upstream, the final text is the result", async () => {
    const { up, p } = await setup((req, model) => {
      if (model !== `up-${MAIN_MODEL}`) return { text: ["ok"] };
      if (!hasToolResult(req)) {
        return {
          reasoning: ["I should run ", "the command."],
          text: ["Running it now."],
          toolCalls: [
            { id: "call_bash_1", name: "Bash", argumentFragments: ['{"command":', '"echo yallmproxy', '-e2e-marker"', ',"description":"Print the marker"}'] },
          ],
        };
      }
      return { text: ["The command printed ", "the marker."] };
    }, true);
    const r = await runClaude(p.url, ["Run the command echo yallmproxy-e2e-marker", "--allowedTools", "Bash(echo:*)"]);
    expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBeDefined();
    expect(r.json).toMatchObject({ type: "result", is_error: false, result: "The command printed the marker." });
    expect(r.json!.permission_denials).toEqual([]);
    expectAllAnswered(p);

    const main = up.requests.filter((q) => q.json?.model === `up-${MAIN_MODEL}`);
    const second = main.find(hasToolResult);
    expect(second, "no upstream request carried the tool result").toBeDefined();
    const msgs = second!.json!.messages as Array<Record<string, any>>;
    const toolIdx = msgs.findIndex((m) => m.role === "tool");
    const tool = msgs[toolIdx]!;
    expect(tool.tool_call_id).toBe("call_bash_1");
    // The command really ran: its output, not the command line, is the tool result.
    expect(typeof tool.content === "string" ? tool.content.trim() : tool.content).toBe("yallmproxy-e2e-marker");
    // The assistant turn before it carries the call, arguments intact.
    const assistant = msgs[toolIdx - 1]!;
    expect(assistant.role).toBe("assistant");
    expect(assistant.tool_calls).toEqual([
      {
        id: "call_bash_1",
        type: "function",
        function: { name: "Bash", arguments: JSON.stringify({ command: "echo yallmproxy-e2e-marker", description: "Print the marker" }) },
      },
    ]);
    expect(assistant.content).toBe("Running it now.");
    // One stable, opaque end-user id for the whole session.
    expect(main[0]!.json!.user).toMatch(/^[0-9a-f]{64}$/);
    expect(second!.json!.user).toBe(main[0]!.json!.user);
    // A reasoning backend gets Claude Code's effort, and the thinking it produced back as reasoning_content.
    expect(assistant.reasoning_content).toBe("I should run the command.");
    expect(main[0]!.json!.reasoning_effort).toBe("high");
  }, 120_000);
});

describe("Claude Code through the proxy on an Anthropic backend", () => {
  /** An Anthropic upstream streaming `text` (or answering every call with `error`), behind a route that edits the betas. */
  async function anthropicSetup(text: string, error?: { status: number; body: string }): Promise<{ up: Upstream; p: RunningProxy }> {
    const up = await startUpstream((req, res) => {
      if (error) {
        res.writeHead(error.status, { "content-type": "application/json" });
        return void res.end(error.body);
      }
      const model = String(req.json?.model ?? "");
      const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        ev("message_start", {
          message: {
            id: "msg_1",
            type: "message",
            role: "assistant",
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 40, output_tokens: 1 },
          },
        }) +
          ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }) +
          ev("content_block_delta", { index: 0, delta: { type: "text_delta", text } }) +
          ev("content_block_stop", { index: 0 }) +
          ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 5 } }) +
          ev("message_stop", {}),
      );
    });
    cleanup.push(up.close);
    const betas = '{ drop: [interleaved-thinking-2025-05-14, "context-management-*"], add: [gateway-2026-01-01] }';
    const p = await startProxy(`
model_list:
${ALIASES.map((m) => `  - model_name: ${m}\n    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-up, anthropic_betas: ${betas} }`).join("\n")}
router_settings: { num_retries: 0 }
`);
    cleanup.push(p.close);
    return { up, p };
  }

  it("the betas reach the upstream edited, the body untouched, the session id in the log", async () => {
    const { up, p } = await anthropicSetup("Hello from the Anthropic upstream.");
    const r = await runClaude(p.url, ["Say hello"]);
    expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toMatchObject({ type: "result", is_error: false, result: "Hello from the Anthropic upstream." });
    expectAllAnswered(p);
    const main = up.requests.find((q) => q.json?.model === MAIN_MODEL);
    expect(main).toBeDefined();
    const betas = String(main!.headers["anthropic-beta"]).split(",");
    expect(betas).toContain("claude-code-20250219");
    expect(betas).not.toContain("interleaved-thinking-2025-05-14");
    expect(betas.some((b) => b.startsWith("context-management-"))).toBe(false);
    expect(betas.at(-1)).toBe("gateway-2026-01-01");
    expect(main!.json).toMatchObject({ thinking: { type: "adaptive" }, output_config: { effort: expect.any(String) }, stream: true });
    const session = r.json!.session_id as string;
    expect(p.logs().find((l) => l.msg === "request")).toMatchObject({ session });
  }, 120_000);

  it("an upstream's 'prompt is too long' reaches Claude Code in its own words", async () => {
    const body = JSON.stringify({
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 212345 tokens > 200000 maximum" },
      request_id: "req_1",
    });
    const { p } = await anthropicSetup("", { status: 400, body });
    const r = await runClaude(p.url, ["Say hello"]);
    expect(r.stdout + r.stderr).toMatch(/prompt is too long/i);
  }, 120_000);
});

/** The tool results a request to a backend of `format` carries, as (call id, text) pairs, in order. */
function toolResults(format: BackendFormat, json: Record<string, unknown>): Array<{ id: string; text: string }> {
  const textOf = (c: unknown): string =>
    typeof c === "string" ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? "").join("") : JSON.stringify(c);
  if (format === "openai-responses")
    return (json.input as Array<Record<string, any>>).filter((i) => i.type === "function_call_output").map((i) => ({ id: i.call_id, text: textOf(i.output) }));
  const messages = json.messages as Array<Record<string, any>>;
  if (format === "openai") return messages.filter((m) => m.role === "tool").map((m) => ({ id: m.tool_call_id, text: textOf(m.content) }));
  return messages
    .flatMap((m) => (m.role === "user" && Array.isArray(m.content) ? (m.content as Array<Record<string, any>>) : []))
    .filter((b) => b.type === "tool_result")
    .map((b) => ({ id: b.tool_use_id, text: textOf(b.content) }));
}

describe("Claude Code creates a file with Write, then changes it with Edit, on every backend kind", () => {
  it.each(["openai", "openai-responses", "anthropic"] as const)(
    "on a %s backend",
    async (format) => {
      const home = freshHome();
      const file = join(home, "notes.txt");
      const split = (o: Record<string, unknown>) => JSON.stringify(o).match(/.{1,9}/gs)!;
      const up = await startUpstream(async (req, res, i) => {
        if (req.url !== BACKEND_PATH[format] || !req.json) return sendJson(res, 404, { error: { message: `unexpected ${req.method} ${req.url}` } });
        const done = toolResults(format, req.json).length;
        let a: ScriptedAnswer;
        if (req.json.model !== `up-${MAIN_MODEL}`) a = { text: ["ok"] };
        else if (done === 0)
          a = {
            text: ["Creating it."],
            toolCalls: [{ id: "toolu_write_1", name: "Write", argumentFragments: split({ file_path: file, content: "alpha\nbeta\n" }) }],
          };
        else if (done === 1)
          a = {
            text: ["Now the edit."],
            toolCalls: [{ id: "toolu_edit_1", name: "Edit", argumentFragments: split({ file_path: file, old_string: "beta", new_string: "gamma" }) }],
          };
        else a = { text: ["Created notes.txt ", "and edited it."] };
        await writeSse(res, streamFramesFor(format, a, i));
      });
      cleanup.push(up.close);
      const p = await startProxy(`
model_list:
${ALIASES.map((m) => `  - model_name: ${m}\n    model_params: { api_type: ${format}, api_base: ${up.url}, api_key: sk-up, model: up-${m} }`).join("\n")}
router_settings: { num_retries: 0 }
`);
      cleanup.push(p.close);
      const r = await runClaude(p.url, ["Create notes.txt, then replace beta with gamma", "--allowedTools", "Write,Edit"], MAIN_MODEL, home);
      expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toMatchObject({ type: "result", is_error: false, result: "Created notes.txt and edited it." });
      expect(r.json!.permission_denials).toEqual([]);
      expect(readFileSync(file, "utf8")).toBe("alpha\ngamma\n");
      expectAllAnswered(p);

      // Each backend got Claude Code's results in its own format: the write's, then both.
      const main = up.requests.filter((q) => q.json?.model === `up-${MAIN_MODEL}`);
      expect(main).toHaveLength(3);
      const [afterWrite, afterEdit] = [toolResults(format, main[1]!.json!), toolResults(format, main[2]!.json!)];
      expect(afterWrite.map((t) => t.id)).toEqual(["toolu_write_1"]);
      expect(afterWrite[0]!.text).toContain(file);
      expect(afterEdit.map((t) => t.id)).toEqual(["toolu_write_1", "toolu_edit_1"]);
      expect(afterEdit[1]!.text).toMatch(/updated/i);
      expect(afterEdit[1]!.text).not.toMatch(/error|not been read/i);
    },
    150_000,
  );
});

describe("Claude Code on the shipped config (the README's demo)", () => {
  /** What this Claude Code asks for with no --model (the README's demo passes none). */
  const DEMO_MODEL = "claude-opus-5-5";
  async function shipped(): Promise<RunningProxy> {
    const p = await startProxy(readFileSync(new URL("../../configs/config.yaml", import.meta.url), "utf8"));
    cleanup.push(p.close);
    return p;
  }
  const requests = (p: RunningProxy) => p.logs().filter((l) => l.msg === "request" && l.model === DEMO_MODEL);

  it('"hello" with no --model gets the greeting, no tool call and no warning', async () => {
    const p = await shipped();
    const r = await runClaude(p.url, ["hello"], null);
    expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBeDefined();
    // No "retired" or unrecognized-model notice.
    expect(r.stderr.trim()).toBe("");
    expect(r.json).toMatchObject({
      type: "result",
      is_error: false,
      num_turns: 1,
      result: `Hello from yaLLMproxy's mock model! You said: "hello". Start a message with "run" to see a tool call.`,
    });
    expectAllAnswered(p);
    // One model call: a tool call would have brought its result back in a second one.
    expect(requests(p)).toHaveLength(1);
    expect(r.code).toBe(0);
  }, 120_000);

  it('"run echo …" calls Bash, and the command\'s output comes back', async () => {
    const p = await shipped();
    const r = await runClaude(p.url, ["run echo yallmproxy-demo-marker", "--allowedTools", "Bash(echo:*)"], null);
    expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBeDefined();
    expect(r.json).toMatchObject({ type: "result", is_error: false, result: "The tool returned:\nyallmproxy-demo-marker" });
    expect(r.json!.permission_denials).toEqual([]);
    expectAllAnswered(p);
    expect(requests(p)).toHaveLength(2);
  }, 120_000);

  it("--model sonnet, haiku and claude-sonnet-4-5 (older versions' default) get the greeting too", async () => {
    const p = await shipped();
    for (const [alias, name] of [
      ["sonnet", "claude-sonnet-5-5"],
      ["haiku", "claude-haiku-5-5"],
      ["claude-sonnet-4-5", "claude-sonnet-4-5"],
    ] as const) {
      const r = await runClaude(p.url, ["hello"], alias);
      expect(r.json, `${alias}: stdout: ${r.stdout}\nstderr: ${r.stderr}`).toMatchObject({
        is_error: false,
        result: expect.stringContaining('You said: "hello"'),
      });
      expect(p.logs().filter((l) => l.msg === "request" && l.model === name && l.status === 200).length, alias).toBeGreaterThanOrEqual(1);
    }
    expectAllAnswered(p);
  }, 180_000);
});
