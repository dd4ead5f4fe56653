// The real Codex CLI (`codex exec --json`, wire_api = "responses") on a model with response modules:
// the loopback chat upstream streams what vLLM streams for GLM-4.5 and Qwen3 served without reasoning or tool
// parsers (think tags and a `<tool_call>` block in `content`, the response-modules fixture with the
// call retargeted at Codex's shell tool). Codex must get a real call, run it, send the output back,
// and see the model's reasoning as reasoning (a summary, what `codex exec` shows), not as text.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { INSTALL_TIMEOUT_MS, codexProviderToml, ensureClis, execCodex } from "../lib/clis.js";
import { type RunningProxy, type Upstream, sseHead, sleep, startProxy, startUpstream } from "../lib/harness.js";

const MARKER = "yallmproxy-codex-modules-marker";
const fixtureDir = new URL("../../packages/translate/src/modules/__fixtures__/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, fixtureDir), "utf8");

beforeAll(ensureClis, INSTALL_TIMEOUT_MS);

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type Frame = { choices: Array<{ delta?: { content?: string } }> };

const contentOf = (f: string): string | undefined => (f.startsWith("data: {") ? (JSON.parse(f.slice(6)) as Frame).choices[0]?.delta?.content : undefined);

/** A fixture's frames with each content piece through `rename` (same framing and token splits). */
function retarget(frames: string[], rename: (piece: string) => string): string {
  return frames
    .map((f) => {
      const content = contentOf(f);
      if (content === undefined || rename(content) === content) return f;
      const json = JSON.parse(f.slice(6)) as Frame;
      json.choices[0]!.delta!.content = rename(content);
      return `data: ${JSON.stringify(json)}`;
    })
    .join("\n\n");
}

/** GLM-4.5's `get_weather(city: Paris, unit: celsius)` as `exec_command(cmd: "echo <marker>")`, the `unit` pair's frames left out. */
function glmShellCall(): string {
  const frames = fixture("vllm-glm45-think-tool-xml.sse").split("\n\n");
  const keys = frames.flatMap((f, i) => (contentOf(f) === "<arg_key>" ? [i] : []));
  const unitEnd = frames.findIndex((f, i) => i > keys[1]! && contentOf(f) === "</arg_value>");
  const names: Record<string, string> = { get: "exec", " get": " exec", _weather: "_command", city: "cmd", Paris: `echo ${MARKER}` };
  return retarget(
    frames.filter((_, i) => i < keys[1]! || i > unitEnd + 1),
    (piece) => names[piece] ?? piece,
  );
}

/** Qwen3's Hermes-style JSON call (its tags split across chunks) retargeted the same way. */
function qwenShellCall(): string {
  const frames = fixture("vllm-qwen3-think-tool-json-split.sse").split("\n\n");
  return retarget(frames, (piece) => piece.replace("get_weather", "exec_command").replace('{"city": "Paris"}', JSON.stringify({ cmd: `echo ${MARKER}` })));
}

/** Streams `sse` in 11-byte pieces, so tags and frames are cut anywhere. */
async function writeInPieces(res: Parameters<typeof sseHead>[0], sse: string): Promise<void> {
  sseHead(res);
  const bytes = Buffer.from(sse, "utf8");
  for (let i = 0; i < bytes.length; i += 11) {
    res.write(bytes.subarray(i, i + 11));
    if (i % 440 === 0) await sleep(1);
  }
  res.end();
}

interface CodexRun {
  code: number | null;
  stderr: string;
  /** `codex exec --json`'s events, one JSON object a line. */
  events: Array<Record<string, any>>;
}

/** Runs `codex exec --json` against `baseUrl` (…/v1) in a fresh CODEX_HOME and working directory. */
async function runCodex(baseUrl: string, prompt: string, model = "glm"): Promise<CodexRun> {
  const home = mkdtempSync(join(tmpdir(), "yallmp-codex-home-"));
  const cwd = mkdtempSync(join(tmpdir(), "yallmp-codex-cwd-"));
  cleanup.push(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });
  writeFileSync(join(home, "config.toml"), codexProviderToml(baseUrl, model));
  const { code, stdout, stderr } = await execCodex({ home, cwd, prompt, env: { PROXY_KEY: "test" }, json: true });
  const events = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, any>);
  return { code, stderr, events };
}

async function upstream(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(handler);
  cleanup.push(u.close);
  return u;
}

async function proxy(up: Upstream, settings = ""): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - model_name: glm
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: zai-org/GLM-4.5-Air, supports_reasoning: true }
    modules:
      upstream:
        response: [parse_tags]
        parse_tags: { parse_thinking: true, parse_tool_calls: true }
  - model_name: qwen3
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: Qwen/Qwen3-8B, supports_reasoning: true }
    modules: { upstream: { response: [parse_tags], parse_tags: { tool_parser: qwen_xml } } }
router_settings: { num_retries: 0 }
${settings}
`);
  cleanup.push(p.close);
  return p;
}

const REASONING = "The user wants the weather in Paris. I should call exec_command.";

describe("Codex CLI on a response-modules model (tags from a vLLM-style chat stream)", () => {
  it.each([
    { label: "GLM-4.5, XML arguments", model: "glm", first: glmShellCall, reasoning: REASONING },
    { label: "Qwen3, a JSON call with its tags split across chunks", model: "qwen3", first: qwenShellCall, reasoning: "Need the weather." },
  ])("$label: a real shell call, run, its output sent back; the reasoning arrives as reasoning", { timeout: 120_000 }, async ({ model, first, reasoning }) => {
    const up = await upstream(async (_req, res, i) => {
      await writeInPieces(res, i === 0 ? first() : fixture("vllm-glm45-think-text.sse"));
    });
    const p = await proxy(up);
    const run = await runCodex(`${p.url}/v1`, `Run: echo ${MARKER}`, model);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);

    const items = run.events.filter((e) => e.type === "item.completed").map((e) => e.item as Record<string, any>);
    const byType = (t: string) => items.filter((i) => i.type === t);
    // Codex ran the command the `<tool_call>` block named, and saw its output.
    const commands = byType("command_execution");
    expect(commands).toHaveLength(1);
    expect(commands[0]!.command).toContain(`echo ${MARKER}`);
    expect(commands[0]!.aggregated_output).toContain(MARKER);
    // Both turns' think blocks are Codex reasoning items; no tag reached its messages.
    expect(byType("reasoning").map((r) => String(r.text).trim())).toEqual([reasoning, "Simple greeting."]);
    const messages = byType("agent_message").map((m) => String(m.text));
    expect(messages.at(-1)).toBe("Hello! How can I help?");
    for (const text of messages) expect(text).not.toMatch(/<\/?(think|tool_call|arg_key|arg_value)>/);

    // The upstream: both turns streamed; the second carries the call as a real tool call, its
    // output as the tool message, and the first turn's reasoning as reasoning_content.
    expect(up.requests).toHaveLength(2);
    expect(up.requests.map((r) => r.json?.stream)).toEqual([true, true]);
    const sent = up.requests[1]!.json!.messages as Array<Record<string, any>>;
    const assistant = sent.find((m) => m.role === "assistant" && Array.isArray(m.tool_calls));
    expect(assistant).toBeDefined();
    expect(String(assistant!.reasoning_content).trim()).toBe(reasoning);
    expect(String(assistant!.content ?? "")).not.toContain("<");
    const call = assistant!.tool_calls[0] as { id: string; function: { name: string; arguments: string } };
    expect(call.function.name).toBe("exec_command");
    expect(JSON.parse(call.function.arguments)).toEqual({ cmd: `echo ${MARKER}` });
    const result = sent.find((m) => m.role === "tool");
    expect(result).toMatchObject({ tool_call_id: call.id });
    expect(JSON.stringify(result!.content)).toContain(MARKER);
    expect(sent.indexOf(result!)).toBeGreaterThan(sent.indexOf(assistant!));
    expect(
      p
        .logs()
        .filter((l) => l.msg === "request")
        .map((l) => l.status),
    ).toEqual([200, 200]);
  });

  it("with proxy_settings.responses.reasoning: content, Codex (which shows summaries) shows no reasoning", { timeout: 120_000 }, async () => {
    const up = await upstream(async (_req, res, i) => {
      await writeInPieces(res, i === 0 ? glmShellCall() : fixture("vllm-glm45-think-text.sse"));
    });
    const p = await proxy(up, "proxy_settings: { responses: { reasoning: content } }");
    const run = await runCodex(`${p.url}/v1`, `Run: echo ${MARKER}`);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const items = run.events.filter((e) => e.type === "item.completed").map((e) => e.item as Record<string, any>);
    expect(items.filter((i) => i.type === "command_execution")).toHaveLength(1);
    expect(items.filter((i) => i.type === "reasoning")).toEqual([]);
    expect(items.filter((i) => i.type === "agent_message").at(-1)?.text).toBe("Hello! How can I help?");
  });
});
