import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import { parseConfigText } from "../config/load-config.js";
import { agentArguments, agentTurn, greeting, requestedTool, typedText } from "./mock-agent.js";

const fn = (name: string, parameters: unknown = { type: "object", properties: {} }) => ({ type: "function", function: { name, parameters } });
const BASH = fn("Bash", {
  type: "object",
  properties: { command: { type: "string" }, timeout: { type: "number" }, description: { type: "string" } },
  required: ["command"],
});
const READ = fn("Read", { type: "object", properties: { file_path: { type: "string" }, limit: { type: "integer" } }, required: ["file_path"] });
const AGENT = fn("Agent", { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"] });
const EXEC = fn("exec_command", { type: "object", properties: { cmd: { type: "string" }, workdir: { type: "string" } }, required: ["cmd"] });

describe("what the user typed", () => {
  it("drops Claude Code's system reminders and Codex's environment context and AGENTS.md", () => {
    expect(
      typedText([
        { type: "text", text: "<system-reminder>\n# Environment\n</system-reminder>" },
        { type: "text", text: "hello" },
      ]),
    ).toBe("hello");
    expect(typedText("<environment_context>\n  <cwd>/w</cwd>\n</environment_context>")).toBe("");
    expect(typedText("# AGENTS.md instructions for /w\n\n<INSTRUCTIONS>\nBe brief.\n</INSTRUCTIONS>")).toBe("");
    expect(typedText("<user_instructions>x</user_instructions> run ls")).toBe("run ls");
    expect(typedText("a <b> tag stays")).toBe("a <b> tag stays");
  });

  it("takes linear time on unclosed blocks (a hostile body cannot stall the mock)", () => {
    const hostile = `${"<system-reminder>".repeat(200_000)} hi`;
    const started = performance.now();
    expect(typedText(hostile)).toBe(hostile.trim());
    expect(typedText(`${"<system-reminder>x</system-reminder>".repeat(100_000)}hi`)).toBe("hi");
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("answers the newest user words, skipping messages of hidden context only", () => {
    expect(
      agentTurn([
        { role: "system", content: "You are an agent" },
        { role: "user", content: "<environment_context>…</environment_context>" },
        { role: "user", content: "hello" },
        { role: "user", content: [{ type: "text", text: "<system-reminder>later</system-reminder>" }] },
      ]),
    ).toEqual({ kind: "answer", words: "hello" });
  });

  it("answers a tool result that came after the user's words", () => {
    expect(
      agentTurn([
        { role: "user", content: "run echo hi" },
        { role: "assistant", content: null },
        { role: "tool", content: "hi\n<system-reminder>tokens left</system-reminder>" },
        { role: "user", content: "<system-reminder>only context</system-reminder>" },
      ]),
    ).toEqual({ kind: "tool_result", output: "hi" });
  });
});

describe("when a tool is asked for", () => {
  const tools = [AGENT, BASH, READ];

  it("never for words that name no tool", () => {
    expect(requestedTool("hello", tools)).toBeUndefined();
    expect(requestedTool("tell me about agents and bashful readers", tools)).toBeUndefined();
  });

  it("`run …` asks for the shell tool, the rest is the command", () => {
    expect(requestedTool("run echo hi", tools)).toEqual({ tool: BASH, rest: "echo hi" });
    expect(requestedTool("Run: ls -la", [EXEC])).toEqual({ tool: EXEC, rest: "ls -la" });
    expect(requestedTool("running late", tools)).toBeUndefined();
  });

  it("a tool named as a word, the first one named wins", () => {
    expect(requestedTool("read /etc/hostname with Bash", tools)).toEqual({ tool: READ, rest: "/etc/hostname with Bash" });
    expect(requestedTool("please use bash: ls", tools)).toEqual({ tool: BASH, rest: "ls" });
    expect(requestedTool("call exec_command", [EXEC])).toEqual({ tool: EXEC, rest: "" });
  });

  it("fills the required arguments only, arrays of strings with the words", () => {
    expect(agentArguments(BASH.function.parameters, "echo hi")).toEqual({ command: "echo hi" });
    expect(agentArguments({ properties: { command: { type: "array", items: { type: "string" } }, n: { type: "integer" } } }, "echo  hi")).toEqual({
      command: ["echo", "hi"],
      n: 1,
    });
  });

  it("the greeting names what was typed, cut to a short quote", () => {
    expect(greeting("hello")).toBe(`Hello from yaLLMproxy's mock model! You said: "hello". Start a message with "run" to see a tool call.`);
    expect(greeting("x".repeat(1000)).length).toBeLessThan(320);
  });
});

describe("the mock backend in agent mode", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const yaml =
      "model_list:\n  - model_name: agent\n    model_params: { api_type: mock, mock: { mode: agent } }\n  - model_name: echo\n    model_params: { api_type: mock }\n";
    const env = { DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), "yallmp-agent-")), "state.db")}` };
    const { config } = parseConfigText(yaml, "/t/config.yaml", env, env);
    app = await buildApp({ config, logger: false });
  });
  afterAll(async () => app.close());

  const chat = async (body: Record<string, unknown>) => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(body),
    });
    expect(res.statusCode).toBe(200);
    return res.json().choices[0] as {
      message: { content: string | null; tool_calls?: Array<{ function: { name: string; arguments: string } }> };
      finish_reason: string;
    };
  };
  const hidden = {
    role: "user",
    content: [
      { type: "text", text: "<system-reminder>Available agent types for the Agent tool</system-reminder>" },
      { type: "text", text: "hello" },
    ],
  };

  it("greets and calls no tool for hello, though tools are offered", async () => {
    const c = await chat({ model: "agent", messages: [hidden], tools: [AGENT, BASH] });
    expect(c.finish_reason).toBe("stop");
    expect(c.message.tool_calls).toBeUndefined();
    expect(c.message.content).toBe(greeting("hello"));
  });

  it("calls the shell tool when asked, then reports its output", async () => {
    const call = await chat({ model: "agent", messages: [{ role: "user", content: "run echo hi" }], tools: [AGENT, BASH] });
    expect(call.finish_reason).toBe("tool_calls");
    expect(call.message.tool_calls![0]!.function).toEqual({ name: "Bash", arguments: JSON.stringify({ command: "echo hi" }) });
    const after = await chat({
      model: "agent",
      tools: [AGENT, BASH],
      messages: [
        { role: "user", content: "run echo hi" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "Bash", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "hi" },
      ],
    });
    expect(after).toMatchObject({ finish_reason: "stop", message: { content: "The tool returned:\nhi" } });
  });

  it("a forced tool_choice is still honoured", async () => {
    const c = await chat({
      model: "agent",
      messages: [{ role: "user", content: "hello" }],
      tools: [AGENT, BASH],
      tool_choice: { type: "function", function: { name: "Bash" } },
    });
    expect(c.message.tool_calls![0]!.function.name).toBe("Bash");
    const r = await chat({ model: "agent", messages: [{ role: "user", content: "hello" }], tools: [AGENT, BASH], tool_choice: "required" });
    expect(r.message.tool_calls![0]!.function.name).toBe("Agent");
  });

  it("a mode that does not exist stops the config with its path", () => {
    expect(() =>
      parseConfigText("model_list:\n  - model_name: a\n    model_params: { api_type: mock, mock: { mode: agnet } }\n", "/t/config.yaml", {}, {}),
    ).toThrow(/model_list\[0\]\.model_params\.mock\.mode/);
  });

  it("echo mode (the default) still echoes and calls the first offered tool", async () => {
    const c = await chat({ model: "echo", messages: [{ role: "user", content: "hello" }], tools: [AGENT, BASH] });
    expect(c.message.tool_calls![0]!.function.name).toBe("Agent");
    const t = await chat({ model: "echo", messages: [{ role: "user", content: "hello" }] });
    expect(t.message.content).toBe("hello");
  });
});
