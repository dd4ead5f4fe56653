// The real Codex CLI (`codex exec`, wire_api = "responses") through the proxy: on a loopback
// chat-completions upstream and on a native Responses upstream, Codex gets a call to its own shell
// tool, runs it, sends the output back, and prints the upstream's final answer. A recording hop
// between Codex and the proxy keeps Codex's own requests and the proxy's answers' statuses. Then the
// README's demo: the README's provider config on the shipped config's mock, which greets "hello" and
// calls a tool only when asked. Then apply_patch on every backend format, and client-run tool_search on
// a chat backend, finding Codex's own deferred tools and an MCP server's (a stdio server in the test).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingMessage, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { once } from "node:events";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { INSTALL_TIMEOUT_MS, codexProviderToml, ensureClis, execCodex } from "../lib/clis.js";
import { type RunningProxy, type Upstream, startProxy, startUpstream } from "../lib/harness.js";
import { anthropicFrame, anthropicStreamFrames, chatStreamFrames, writeSse } from "../lib/scripted.js";

const MARKER = "yallmproxy-codex-marker";

beforeAll(ensureClis, INSTALL_TIMEOUT_MS);

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  json: any;
  status?: number;
}

/** A loopback hop that forwards everything to `target` and records each request and its status. */
async function recordingHop(target: string): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      json = undefined;
    }
    const entry: SeenRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, json };
    seen.push(entry);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) headers[k] = v;
    // Codex hanging up on the hop hangs up on the proxy too, as if it were connected directly.
    const hangUp = new AbortController();
    res.on("close", () => hangUp.abort());
    try {
      const upstream = await fetch(target + (req.url ?? ""), { method: req.method ?? "GET", headers, signal: hangUp.signal, ...(body.length ? { body } : {}) });
      entry.status = upstream.status;
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
      if (upstream.body)
        Readable.fromWeb(upstream.body as import("node:stream/web").ReadableStream)
          .on("error", () => res.destroy())
          .pipe(res);
      else res.end();
    } catch (err) {
      entry.status = 599;
      res.writeHead(502).end(String(err));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function upstream(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(handler);
  cleanup.push(u.close);
  return u;
}

async function proxy(up: Upstream, apiType: "openai" | "openai-responses" | "anthropic", modelName = "codex-test"): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - model_name: ${modelName}
    model_params: { api_type: ${apiType}, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return p;
}

/** Runs `codex exec` against `baseUrl` (…/v1) in a fresh CODEX_HOME and working directory. */
async function runCodex(
  baseUrl: string,
  prompt: string,
  configToml?: string,
  model = "codex-test",
): Promise<{ code: number | null; stdout: string; stderr: string; cwd: string }> {
  const home = mkdtempSync(join(tmpdir(), "yallmp-codex-home-"));
  const cwd = mkdtempSync(join(tmpdir(), "yallmp-codex-cwd-"));
  cleanup.push(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });
  writeFileSync(join(home, "config.toml"), configToml ?? codexProviderToml(baseUrl, model));
  return { ...(await execCodex({ home, cwd, prompt, env: { PROXY_KEY: "test" } })), cwd };
}

type Fn = { type: string; name?: string; function?: { name: string } };

/** The name of Codex's shell tool among the tools it offered (exec_command in 0.169, shell before). */
function shellToolName(names: string[]): string {
  const name = names.find((n) => n === "exec_command") ?? names.find((n) => n === "shell");
  if (!name) throw new Error(`no shell tool among ${names.join(", ")}`);
  return name;
}

function shellArguments(name: string): string {
  return JSON.stringify(name === "exec_command" ? { cmd: `echo ${MARKER}` } : { command: ["bash", "-lc", `echo ${MARKER}`] });
}

/** Codex's requests must have gone through with 200s, and carry what docs/protocol.md §6 says it sends. */
function expectCodexRequests(seen: SeenRequest[]): void {
  const posts = seen.filter((r) => r.method === "POST" && r.url === "/v1/responses");
  expect(posts.length).toBeGreaterThanOrEqual(2);
  for (const r of seen.filter((r) => r.url.startsWith("/v1/"))) expect(r.status, `${r.method} ${r.url}`).toBeLessThan(400);
  const [first, second] = posts;
  expect(first!.json).toMatchObject({ model: "codex-test", stream: true, store: false, include: ["reasoning.encrypted_content"] });
  expect(first!.headers.authorization).toBe("Bearer test");
  const toolTypes = new Set((first!.json.tools as Fn[]).map((t) => t.type));
  // Tools a chat backend cannot run: the proxy must drop them, not fail.
  expect(toolTypes.has("web_search")).toBe(true);
  expect(toolTypes.has("namespace")).toBe(true);
  const secondInput = second!.json.input as Array<Record<string, any>>;
  const call = secondInput.find((i) => i.type === "function_call");
  const output = secondInput.find((i) => i.type === "function_call_output");
  expect(call).toBeDefined();
  expect(output).toBeDefined();
  expect(output!.call_id).toBe(call!.call_id);
  expect(JSON.stringify(output!.output)).toContain(MARKER);
}

/**
 * The proxy logged each Codex turn as answered (200), not as a client that went away (499): Codex
 * hangs up as soon as it has the terminal event, before the upstream's own stream has ended.
 */
function expectLoggedComplete(p: RunningProxy, turns: number): void {
  const logged = p.logs().filter((l) => l.msg === "request");
  expect(logged.slice(0, turns).map((l) => l.status)).toEqual(Array(turns).fill(200));
}

describe("Codex CLI through the proxy", () => {
  it("on a chat-completions backend: runs the shell tool call, sends the output back, prints the final answer", { timeout: 120_000 }, async () => {
    const up = await upstream(async (req, res, i) => {
      const names = ((req.json?.tools as Fn[] | undefined) ?? []).map((t) => t.function?.name ?? "");
      if (i === 0) {
        const shell = shellToolName(names);
        await writeSse(
          res,
          chatStreamFrames({
            reasoning: ["The user wants ", "a command run."],
            text: ["Running it."],
            toolCalls: [{ id: "call_codex1", name: shell, argumentFragments: shellArguments(shell).match(/.{1,7}/g)! }],
          }),
        );
      } else {
        await writeSse(res, chatStreamFrames({ text: ["The command printed ", "the marker. Done."] }));
      }
    });
    const p = await proxy(up, "openai");
    const hop = await recordingHop(p.url);
    const run = await runCodex(`${hop.url}/v1`, `Run: echo ${MARKER}`);

    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain("The command printed the marker. Done.");

    // The upstream: first request offers Codex's function tools only (hosted ones dropped), with
    // stream_options; the next one carries the tool's output in a tool message.
    expect(up.requests.length).toBe(2);
    const first = up.requests[0]!.json!;
    expect(up.requests[0]!.url).toBe("/v1/chat/completions");
    expect(first).toMatchObject({ model: "up-model", stream: true, stream_options: { include_usage: true } });
    for (const t of first.tools as Fn[]) expect(t.type).toBe("function");
    const messages = up.requests[1]!.json!.messages as Array<Record<string, any>>;
    const assistant = messages.find((m) => m.role === "assistant" && Array.isArray(m.tool_calls));
    expect(assistant!.tool_calls[0]).toMatchObject({ id: "call_codex1", type: "function" });
    const toolMessage = messages.find((m) => m.role === "tool");
    expect(toolMessage).toMatchObject({ role: "tool", tool_call_id: "call_codex1" });
    expect(JSON.stringify(toolMessage!.content)).toContain(MARKER);
    expect(messages.indexOf(toolMessage!)).toBeGreaterThan(messages.indexOf(assistant!));

    expectCodexRequests(hop.seen);
    expectLoggedComplete(p, 2);
    // Codex replays the reasoning item the proxy made from reasoning_content: no 4xx, and the
    // replayed reasoning does not break the chat request.
    const secondInput = hop.seen.filter((r) => r.url === "/v1/responses")[1]!.json.input as Array<Record<string, any>>;
    expect(secondInput.some((i) => i.type === "reasoning")).toBe(true);

    // The same request with OpenAI-style encrypted reasoning (as after a turn on a native backend):
    // the chat backend cannot take it, so it is dropped with a warning; the request still succeeds.
    const replay = structuredClone(hop.seen.filter((r) => r.url === "/v1/responses")[1]!.json);
    for (const item of replay.input as Array<Record<string, any>>) if (item.type === "reasoning") item.encrypted_content = "gAAAAABpPDIVopaque==";
    const res = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer test" },
      body: JSON.stringify(replay),
    });
    expect(res.status).toBe(200);
    const events = (await res.text())
      .split("\n")
      .filter((l) => l.startsWith("event: "))
      .map((l) => l.slice(7));
    expect(events.at(-1)).toBe("response.completed");
    expect(up.requests.length).toBe(3);
    expect(JSON.stringify(up.requests[2]!.json)).not.toContain("gAAAAABpPDIVopaque==");
    expect(up.requests[2]!.json!.messages).toEqual(up.requests[1]!.json!.messages);

    const warnings = p.logs().flatMap((l) => (Array.isArray(l.warnings) ? (l.warnings as { code: string; message: string }[]) : []));
    expect(warnings.some((w) => w.code === "tool_dropped" && w.message.includes("'web_search'"))).toBe(true);
    // Codex's namespace tools run in Codex: the chat backend gets each function, flattened.
    expect(warnings.some((w) => w.message.includes("'namespace'"))).toBe(false);
    const namespaces = (
      hop.seen.find((r) => r.url === "/v1/responses")!.json.tools as Array<{ type: string; name: string; tools?: { name: string }[] }>
    ).filter((t) => t.type === "namespace");
    const offered = (first.tools as Fn[]).map((t) => t.function?.name ?? "");
    for (const ns of namespaces)
      for (const fn of ns.tools ?? []) expect(offered.some((n) => n.startsWith(ns.name.replace(/_+$/, "")) && n.endsWith(fn.name))).toBe(true);
  });

  it("on a native Responses backend: reasoning with encrypted_content goes back to the upstream untouched", { timeout: 120_000 }, async () => {
    const ENCRYPTED = "gAAAAABpPDIVopaque-encrypted-reasoning==";
    let shell = "exec_command";
    const up = await upstream(async (req, res, i) => {
      const base = {
        object: "response",
        created_at: 1765552659,
        model: "up-model",
        error: null,
        incomplete_details: null,
        instructions: null,
        tools: [],
        parallel_tool_calls: true,
        tool_choice: "auto",
        metadata: {},
        temperature: 1,
        top_p: 1,
      };
      const events: Array<Record<string, unknown>> = [];
      const id = `resp_native${i}`;
      events.push({ type: "response.created", response: { ...base, id, status: "in_progress", output: [], usage: null } });
      events.push({ type: "response.in_progress", response: { ...base, id, status: "in_progress", output: [], usage: null } });
      let output: Array<Record<string, unknown>>;
      if (i === 0) {
        const names = ((req.json?.tools as Fn[] | undefined) ?? []).map((t) => t.name ?? "");
        shell = shellToolName(names);
        const args = shellArguments(shell);
        const rs = { id: "rs_native1", type: "reasoning", summary: [{ type: "summary_text", text: "Run the command." }], encrypted_content: ENCRYPTED };
        const fc = { id: "fc_native1", type: "function_call", status: "completed", arguments: args, call_id: "call_native1", name: shell };
        events.push({ type: "response.output_item.added", output_index: 0, item: { ...rs, summary: [] } });
        events.push({
          type: "response.reasoning_summary_part.added",
          item_id: "rs_native1",
          output_index: 0,
          summary_index: 0,
          part: { type: "summary_text", text: "" },
        });
        events.push({ type: "response.reasoning_summary_text.delta", item_id: "rs_native1", output_index: 0, summary_index: 0, delta: "Run the command." });
        events.push({ type: "response.reasoning_summary_text.done", item_id: "rs_native1", output_index: 0, summary_index: 0, text: "Run the command." });
        events.push({
          type: "response.reasoning_summary_part.done",
          item_id: "rs_native1",
          output_index: 0,
          summary_index: 0,
          part: { type: "summary_text", text: "Run the command." },
        });
        events.push({ type: "response.output_item.done", output_index: 0, item: rs });
        events.push({ type: "response.output_item.added", output_index: 1, item: { ...fc, status: "in_progress", arguments: "" } });
        events.push({ type: "response.function_call_arguments.delta", item_id: "fc_native1", output_index: 1, delta: args });
        events.push({ type: "response.function_call_arguments.done", item_id: "fc_native1", output_index: 1, arguments: args });
        events.push({ type: "response.output_item.done", output_index: 1, item: fc });
        output = [rs, fc];
      } else {
        const text = "Native backend saw the marker.";
        const msg = {
          id: "msg_native2",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
        };
        events.push({ type: "response.output_item.added", output_index: 0, item: { ...msg, status: "in_progress", content: [] } });
        events.push({
          type: "response.content_part.added",
          item_id: "msg_native2",
          output_index: 0,
          content_index: 0,
          part: { type: "output_text", text: "", annotations: [], logprobs: [] },
        });
        events.push({ type: "response.output_text.delta", item_id: "msg_native2", output_index: 0, content_index: 0, delta: text, logprobs: [] });
        events.push({ type: "response.output_text.done", item_id: "msg_native2", output_index: 0, content_index: 0, text, logprobs: [] });
        events.push({ type: "response.content_part.done", item_id: "msg_native2", output_index: 0, content_index: 0, part: msg.content[0] });
        events.push({ type: "response.output_item.done", output_index: 0, item: msg });
        output = [msg];
      }
      const usage = {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 10,
        output_tokens_details: { reasoning_tokens: 4 },
        total_tokens: 110,
      };
      events.push({ type: "response.completed", response: { ...base, id, status: "completed", output, usage } });
      await writeSse(
        res,
        events.map((e, n) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: n })}\n\n`),
      );
    });
    const p = await proxy(up, "openai-responses");
    const hop = await recordingHop(p.url);
    const run = await runCodex(`${hop.url}/v1`, `Run: echo ${MARKER}`);

    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain("Native backend saw the marker.");
    expectCodexRequests(hop.seen);
    // Logged statuses are not asserted here: the byte-for-byte pass-through relay cannot yet tell a
    // hang-up after `response.completed` from an early one, and may log such a turn as 499.

    expect(up.requests.length).toBe(2);
    expect(up.requests[0]!.url).toBe("/v1/responses");
    // The native backend gets Codex's own tools, hosted ones included, and the model name swapped.
    const firstTools = new Set((up.requests[0]!.json!.tools as Fn[]).map((t) => t.type));
    expect(firstTools.has("web_search")).toBe(true);
    expect(up.requests[0]!.json!.model).toBe("up-model");
    const input = up.requests[1]!.json!.input as Array<Record<string, any>>;
    const reasoning = input.find((i) => i.type === "reasoning");
    expect(reasoning).toMatchObject({ type: "reasoning", encrypted_content: ENCRYPTED });
    const output = input.find((i) => i.type === "function_call_output");
    expect(output!.call_id).toBe("call_native1");
    expect(JSON.stringify(output!.output)).toContain(MARKER);
    expect(input.find((i) => i.type === "function_call")).toMatchObject({ call_id: "call_native1", name: shell });
  });
});

/** The Codex provider config the README shows (its commented TOML lines), pointed at `baseUrl`. */
function readmeCodexConfig(baseUrl: string): string {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = /# Codex CLI: a provider in \$CODEX_HOME\/config\.toml\n((?:# {3}.*\n)+)/.exec(readme);
  if (!block) throw new Error("README has no Codex provider config");
  const toml = block[1]!.replace(/^# {3}/gm, "");
  if (!toml.includes('base_url = "http://127.0.0.1:7979/v1"')) throw new Error(`unexpected README config:\n${toml}`);
  // No retries, so a failure shows at once.
  return `${toml.replace("http://127.0.0.1:7979/v1", baseUrl)}request_max_retries = 0\nstream_max_retries = 0\n`;
}

describe("Codex CLI on the shipped config with the README's provider (the README's demo)", () => {
  async function shipped(): Promise<RunningProxy> {
    const p = await startProxy(readFileSync(new URL("../../configs/config.yaml", import.meta.url), "utf8"));
    cleanup.push(p.close);
    return p;
  }
  const GREETING = `Hello from yaLLMproxy's mock model! You said: "hello". Start a message with "run" to see a tool call.`;

  it('"hello" gets the greeting and no tool call', { timeout: 120_000 }, async () => {
    const p = await shipped();
    const hop = await recordingHop(p.url);
    const run = await runCodex(`${hop.url}/v1`, "hello", readmeCodexConfig(`${hop.url}/v1`));
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout.trim()).toBe(GREETING);
    // A model Codex knows: no fallback-metadata warning in the demo.
    expect(run.stderr).not.toContain("Model metadata");
    const posts = hop.seen.filter((r) => r.method === "POST" && r.url === "/v1/responses");
    // One turn: a tool call would have brought its output back in a second request.
    expect(posts).toHaveLength(1);
    expect(posts[0]!.status).toBe(200);
    expect(posts[0]!.json.model).toBe("gpt-5.5");
  });

  it('"run echo …" calls exec_command, and the command\'s output comes back', { timeout: 120_000 }, async () => {
    const p = await shipped();
    const hop = await recordingHop(p.url);
    const run = await runCodex(`${hop.url}/v1`, `run echo ${MARKER}`, readmeCodexConfig(`${hop.url}/v1`));
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^The tool returned:\\n[\\s\\S]*Output:\\n${MARKER}`));
    const posts = hop.seen.filter((r) => r.method === "POST" && r.url === "/v1/responses");
    expect(posts).toHaveLength(2);
    const input = posts[1]!.json.input as Array<Record<string, any>>;
    const call = input.find((i) => i.type === "function_call");
    expect(call).toMatchObject({ name: "exec_command", arguments: JSON.stringify({ cmd: `echo ${MARKER}` }) });
    const output = input.find((i) => i.type === "function_call_output");
    expect(output!.call_id).toBe(call!.call_id);
    expect(JSON.stringify(output!.output)).toContain(MARKER);
  });
});

const ADD_PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+Hello from the proxy\n*** End Patch";
const UPDATE_PATCH = "*** Begin Patch\n*** Update File: hello.txt\n@@\n-Hello from the proxy\n+Hello again, edited\n*** End Patch";

/** apply_patch's arguments as a translated backend writes them: one `input` string, in pieces. */
function patchFragments(patch: string): string[] {
  return JSON.stringify({ input: patch }).match(/.{1,11}/gs)!;
}

function anthropicPatchCall(id: string, patch: string): string[] {
  return [
    anthropicFrame("message_start", {
      message: {
        id: `msg_${id}`,
        type: "message",
        role: "assistant",
        model: "up-model",
        content: [],
        stop_reason: null,
        usage: { input_tokens: 50, output_tokens: 1 },
      },
    }),
    anthropicFrame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    anthropicFrame("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Patching." } }),
    anthropicFrame("content_block_stop", { index: 0 }),
    anthropicFrame("content_block_start", { index: 1, content_block: { type: "tool_use", id, name: "apply_patch", input: {} } }),
    ...patchFragments(patch).map((f) => anthropicFrame("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: f } })),
    anthropicFrame("content_block_stop", { index: 1 }),
    anthropicFrame("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 40 } }),
    anthropicFrame("message_stop"),
  ];
}

/** A native Responses stream of one output item (a custom tool call or a message), as OpenAI writes it. */
function nativeStream(i: number, item: Record<string, unknown>, deltas: Array<Record<string, unknown>>): string[] {
  const base = {
    object: "response",
    created_at: 1765552659,
    model: "up-model",
    error: null,
    incomplete_details: null,
    instructions: null,
    tools: [],
    metadata: {},
  };
  const id = `resp_patch${i}`;
  const shell = item.type === "message" ? { ...item, status: "in_progress", content: [] } : { ...item, status: "in_progress", input: "" };
  const events: Array<Record<string, unknown>> = [
    { type: "response.created", response: { ...base, id, status: "in_progress", output: [], usage: null } },
    { type: "response.in_progress", response: { ...base, id, status: "in_progress", output: [], usage: null } },
    { type: "response.output_item.added", output_index: 0, item: shell },
    ...deltas,
    { type: "response.output_item.done", output_index: 0, item },
    {
      type: "response.completed",
      response: {
        ...base,
        id,
        status: "completed",
        output: [item],
        usage: {
          input_tokens: 50,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 9,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 59,
        },
      },
    },
  ];
  return events.map((e, n) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: n })}\n\n`);
}

function nativePatchCall(i: number, patch: string): string[] {
  const item = { id: `ctc_native${i}`, type: "custom_tool_call", status: "completed", call_id: `call_native_patch${i}`, name: "apply_patch", input: patch };
  const at = { item_id: item.id, output_index: 0 };
  const deltas = (patch.match(/.{1,13}/gs) ?? []).map((delta) => ({ type: "response.custom_tool_call_input.delta", ...at, delta }));
  return nativeStream(i, item, [...deltas, { type: "response.custom_tool_call_input.done", ...at, input: patch }]);
}

function nativeText(i: number, text: string): string[] {
  const part = { type: "output_text", text, annotations: [], logprobs: [] };
  const item = { id: `msg_native_patch${i}`, type: "message", status: "completed", role: "assistant", content: [part] };
  const at = { item_id: item.id, output_index: 0, content_index: 0 };
  return nativeStream(i, item, [
    { type: "response.content_part.added", ...at, part: { ...part, text: "" } },
    { type: "response.output_text.delta", ...at, delta: text, logprobs: [] },
    { type: "response.output_text.done", ...at, text, logprobs: [] },
    { type: "response.content_part.done", ...at, part },
  ]);
}

describe("Codex creates and edits a file with apply_patch (a custom tool) on every backend format", () => {
  /** The tool the backend was offered for apply_patch: a function taking the patch as `input`. */
  function offeredPatchTool(json: Record<string, unknown>, format: "openai" | "anthropic"): { description: string; schema: any } {
    const tools = json.tools as Array<Record<string, any>>;
    if (format === "openai") {
      const t = tools.find((x) => x.function?.name === "apply_patch");
      return { description: String(t?.function.description), schema: t?.function.parameters };
    }
    const t = tools.find((x) => x.name === "apply_patch");
    return { description: String(t?.description), schema: t?.input_schema };
  }

  it.each(["openai", "anthropic", "openai-responses"] as const)("on a %s backend", { timeout: 150_000 }, async (format) => {
    const up = await upstream(async (req, res, i) => {
      if (format === "openai-responses")
        await writeSse(res, i < 2 ? nativePatchCall(i, i === 0 ? ADD_PATCH : UPDATE_PATCH) : nativeText(i, "Created and edited hello.txt."));
      else if (format === "openai") {
        if (i < 2) {
          const patch = i === 0 ? ADD_PATCH : UPDATE_PATCH;
          await writeSse(
            res,
            chatStreamFrames({ text: ["Patching."], toolCalls: [{ id: `call_patch${i}`, name: "apply_patch", argumentFragments: patchFragments(patch) }] }),
          );
        } else await writeSse(res, chatStreamFrames({ text: ["Created and edited hello.txt."] }));
      } else if (i < 2) await writeSse(res, anthropicPatchCall(`toolu_patch${i}`, i === 0 ? ADD_PATCH : UPDATE_PATCH));
      else await writeSse(res, anthropicStreamFrames({ text: ["Created and edited hello.txt."] }));
    });
    const p = await proxy(up, format, "gpt-5.5");
    const hop = await recordingHop(p.url);
    const run = await runCodex(`${hop.url}/v1`, "Create hello.txt, then edit it.", undefined, "gpt-5.5");

    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain("Created and edited hello.txt.");
    expect(readFileSync(join(run.cwd, "hello.txt"), "utf8")).toBe("Hello again, edited\n");

    // Codex offered apply_patch as a custom tool with a grammar; the backend got a function whose
    // one string parameter carries the patch, with the grammar in its description.
    const posts = hop.seen.filter((r) => r.method === "POST" && r.url === "/v1/responses");
    expect(posts).toHaveLength(3);
    for (const r of posts) expect(r.status).toBe(200);
    const custom = (posts[0]!.json.tools as Array<Record<string, any>>).find((t) => t.name === "apply_patch");
    expect(custom).toMatchObject({ type: "custom", format: { type: "grammar" } });
    if (format === "openai-responses") {
      // A native backend gets Codex's custom tool as it is.
      expect((up.requests[0]!.json!.tools as Array<Record<string, any>>).find((t) => t.name === "apply_patch")).toEqual(custom);
    } else {
      const offered = offeredPatchTool(up.requests[0]!.json!, format);
      expect(offered.schema).toMatchObject({ properties: { input: { type: "string" } }, required: ["input"] });
      expect(offered.description).toContain(String(custom!.format.definition).slice(0, 40));
    }

    // Codex got custom_tool_call items (it would not apply a function_call) and answered with
    // custom_tool_call_output items, which the backend received as tool results.
    const second = posts[1]!.json.input as Array<Record<string, any>>;
    const call = second.find((x) => x.type === "custom_tool_call");
    expect(call).toMatchObject({ name: "apply_patch", input: ADD_PATCH });
    const output = second.find((x) => x.type === "custom_tool_call_output");
    expect(output?.call_id).toBe(call!.call_id);
    const messages = (up.requests[1]!.json!.messages ?? []) as Array<Record<string, any>>;
    if (format === "openai-responses") {
      const input = up.requests[1]!.json!.input as Array<Record<string, any>>;
      expect(input.find((x) => x.type === "custom_tool_call")).toMatchObject({ call_id: call!.call_id, input: ADD_PATCH });
      expect(input.find((x) => x.type === "custom_tool_call_output")).toMatchObject({ call_id: call!.call_id });
    } else if (format === "openai") {
      const replayed = messages.flatMap((m) => (m.tool_calls ?? []) as Array<{ id: string; function: { arguments: string } }>);
      expect(replayed.map((c) => [c.id, JSON.parse(c.function.arguments)])).toEqual([[call!.call_id, { input: ADD_PATCH }]]);
      expect(messages.find((m) => m.role === "tool")).toMatchObject({ tool_call_id: call!.call_id });
    } else {
      const blocks = messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Array<Record<string, any>>) : []));
      expect(blocks.find((b) => b.type === "tool_use")).toMatchObject({ id: call!.call_id, name: "apply_patch", input: { input: ADD_PATCH } });
      expect(blocks.find((b) => b.type === "tool_result")).toMatchObject({ tool_use_id: call!.call_id });
    }
    // The byte relay of a native backend may log a turn Codex hung up on after its terminal event as 499.
    if (format !== "openai-responses") expectLoggedComplete(p, 3);
  });
});

describe("Codex's client-run tool_search on a chat backend", () => {
  it("the search call reaches Codex as tool_search_call; the deferred tools it finds are offered to the backend next turn", { timeout: 150_000 }, async () => {
    const up = await upstream(async (_req, res, i) => {
      if (i === 0)
        await writeSse(
          res,
          chatStreamFrames({ toolCalls: [{ id: "call_search", name: "tool_search", argumentFragments: ['{"query":"spawn', ' a sub-agent"}'] }] }),
        );
      else await writeSse(res, chatStreamFrames({ text: ["Found the agent tools."] }));
    });
    const p = await proxy(up, "openai", "gpt-5.5");
    const hop = await recordingHop(p.url);
    const run = await runCodex(`${hop.url}/v1`, "Find a tool to spawn a sub-agent, but do not use it.", undefined, "gpt-5.5");
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain("Found the agent tools.");

    const posts = hop.seen.filter((r) => r.method === "POST" && r.url === "/v1/responses");
    expect(posts).toHaveLength(2);
    expect((posts[0]!.json.tools as Array<Record<string, any>>).find((t) => t.type === "tool_search")).toMatchObject({ execution: "client" });
    const input = posts[1]!.json.input as Array<Record<string, any>>;
    expect(input.find((x) => x.type === "tool_search_call")).toMatchObject({
      call_id: "call_search",
      execution: "client",
      arguments: { query: "spawn a sub-agent" },
    });
    const output = input.find((x) => x.type === "tool_search_output");
    expect(output).toMatchObject({ call_id: "call_search" });
    // Codex 0.169 finds its deferred multi-agent namespace (`multi_agent_v1`: spawn_agent, …).
    const found = (output!.tools as Array<Record<string, any>>).flatMap((t) =>
      t.type === "namespace" ? (t.tools as Array<{ name: string }>).map((c) => ({ ns: String(t.name), name: c.name })) : [{ ns: "", name: String(t.name) }],
    );
    expect(found.map((f) => f.name)).toContain("spawn_agent");

    // The backend: the search as a tool call and its result as a tool message, and every found
    // tool callable under its hub name.
    const second = up.requests[1]!.json!;
    const offered = (second.tools as Fn[]).map((t) => t.function?.name ?? "");
    for (const f of found) expect(offered.some((n) => n.endsWith(f.name) && n.startsWith(f.ns.replace(/_+$/, "")))).toBe(true);
    expect(offered).toContain("multi_agent_v1__spawn_agent");
    const messages = second.messages as Array<Record<string, any>>;
    expect(messages.find((m) => m.role === "tool")).toMatchObject({ tool_call_id: "call_search" });
  });

  /** A stdio MCP server in plain Node (newline-delimited JSON-RPC) with one tool; it logs every message it gets to `log`. */
  const MCP_SERVER = `
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";
const log = process.argv[2];
const tools = [{
  name: "lookup_ticket",
  description: "Look up a support ticket by its id and return its status.",
  inputSchema: { type: "object", properties: { ticket_id: { type: "string" } }, required: ["ticket_id"] },
}];
const send = (m) => process.stdout.write(JSON.stringify(m) + "\\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  let msg;
  try { msg = JSON.parse(line); } catch { return; }
  appendFileSync(log, JSON.stringify({ method: msg.method, params: msg.params }) + "\\n");
  if (msg.id === undefined) return;
  const reply = (result) => send({ jsonrpc: "2.0", id: msg.id, result });
  if (msg.method === "initialize")
    return reply({ protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "tickets", version: "1.0.0" } });
  if (msg.method === "tools/list") return reply({ tools });
  if (msg.method === "tools/call")
    return reply({ content: [{ type: "text", text: "ticket " + msg.params.arguments.ticket_id + ": resolved by the MCP server" }], isError: false });
  send({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "no method " + msg.method } });
});
`;

  it("an MCP server's deferred tool: found with tool_search, called under its flattened name, run by the MCP server", { timeout: 150_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-mcp-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = join(dir, "server.mjs");
    const log = join(dir, "mcp.log");
    writeFileSync(server, MCP_SERVER);
    let hubName = "";
    const up = await upstream(async (req, res, i) => {
      const names = ((req.json?.tools as Fn[] | undefined) ?? []).map((t) => t.function?.name ?? "");
      if (i === 0) {
        await writeSse(
          res,
          chatStreamFrames({ toolCalls: [{ id: "call_find", name: "tool_search", argumentFragments: ['{"query":"look up', ' a support ticket"}'] }] }),
        );
      } else if (i === 1) {
        hubName = names.find((n) => n.endsWith("lookup_ticket")) ?? "";
        if (!hubName) throw new Error(`lookup_ticket not offered after the search: ${names.join(", ")}`);
        await writeSse(res, chatStreamFrames({ toolCalls: [{ id: "call_ticket", name: hubName, argumentFragments: ['{"ticket_id"', ':"T-42"}'] }] }));
      } else await writeSse(res, chatStreamFrames({ text: ["Ticket T-42 is resolved."] }));
    });
    const p = await proxy(up, "openai", "gpt-5.5");
    const hop = await recordingHop(p.url);
    const toml = `${codexProviderToml(`${hop.url}/v1`, "gpt-5.5")}
[mcp_servers.tickets]
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(server)}, ${JSON.stringify(log)}]
`;
    const run = await runCodex(`${hop.url}/v1`, "What is the status of ticket T-42?", toml, "gpt-5.5");
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain("Ticket T-42 is resolved.");

    // Codex 0.169 defers MCP tools: the first request names the namespace in its prompt and offers
    // tool_search, not the tool; the chat backend got neither the tool nor a namespace.
    const posts = hop.seen.filter((r) => r.method === "POST" && r.url === "/v1/responses");
    expect(posts).toHaveLength(3);
    for (const r of posts) expect(r.status).toBe(200);
    expect(JSON.stringify(posts[0]!.json.tools)).not.toContain("lookup_ticket");
    expect(JSON.stringify(posts[0]!.json.input)).toContain("mcp__tickets");
    expect(((up.requests[0]!.json!.tools as Fn[]) ?? []).map((t) => t.function?.name)).not.toContain(hubName);

    // The search: Codex found the MCP namespace, and the backend was offered its tool next turn.
    const found = (posts[1]!.json.input as Array<Record<string, any>>).find((x) => x.type === "tool_search_output");
    const ns = (found!.tools as Array<Record<string, any>>).find((t) => t.type === "namespace" && String(t.name).startsWith("mcp__tickets"));
    expect(ns!.name).toBe("mcp__tickets");
    expect((ns!.tools as Array<{ name: string }>).map((t) => t.name)).toContain("lookup_ticket");
    expect(hubName).toBe("mcp__tickets__lookup_ticket");

    // The backend's call reached Codex as a namespaced function_call, and Codex ran it on the MCP server.
    const third = posts[2]!.json.input as Array<Record<string, any>>;
    expect(third.find((x) => x.type === "function_call" && x.call_id === "call_ticket")).toMatchObject({
      name: "lookup_ticket",
      namespace: ns!.name,
      arguments: '{"ticket_id":"T-42"}',
    });
    const calls = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { method: string; params?: Record<string, unknown> })
      .filter((m) => m.method === "tools/call");
    expect(calls.map((c) => [c.params?.name, c.params?.arguments])).toEqual([["lookup_ticket", { ticket_id: "T-42" }]]);
    // The MCP server's answer came back to the backend as the tool result.
    const messages = up.requests[2]!.json!.messages as Array<Record<string, any>>;
    const result = messages.find((m) => m.role === "tool" && m.tool_call_id === "call_ticket");
    expect(JSON.stringify(result?.content)).toContain("ticket T-42: resolved by the MCP server");
    expectLoggedComplete(p, 3);
  });
});
