// The mock backend's `agent` mode: what a coding agent (Claude Code, Codex) should see from a demo
// model. It reads only what the user typed, skipping the context agents add to their messages,
// answers with a short greeting, and calls a tool only when the user's words ask for one.

export interface AgentMessage {
  role?: unknown;
  content?: unknown;
}

export interface AgentTool {
  type?: unknown;
  function?: { name?: unknown; parameters?: unknown };
}

/** What the agent-mode mock does with a turn. */
export type AgentTurn = { kind: "answer"; words: string } | { kind: "tool_result"; output: string };

/**
 * Blocks agents add to user messages that the user did not type, as [opening, closing] marks:
 * Claude Code's `<system-reminder>`, Codex's `<environment_context>`, `<user_instructions>` and
 * AGENTS.md instructions.
 */
const HIDDEN_CONTEXT: Array<[string, string]> = [
  ["<system-reminder>", "</system-reminder>"],
  ["<environment_context>", "</environment_context>"],
  ["<user_instructions>", "</user_instructions>"],
  ["# AGENTS.md instructions for", "</INSTRUCTIONS>"],
];

/** The text of a message's content without the agents' hidden context (linear in its length). */
export function typedText(content: unknown): string {
  let text = contentText(content);
  for (const [open, close] of HIDDEN_CONTEXT) text = withoutBlocks(text, open, close);
  return text.trim();
}

function withoutBlocks(text: string, open: string, close: string): string {
  let start = text.indexOf(open);
  if (start === -1) return text;
  const kept: string[] = [];
  let from = 0;
  while (start !== -1) {
    const end = text.indexOf(close, start + open.length);
    // An unclosed block is kept as it is; nothing after it can close another.
    if (end === -1) break;
    kept.push(text.slice(from, start));
    from = end + close.length;
    start = text.indexOf(open, from);
  }
  kept.push(text.slice(from));
  return kept.join("");
}

/**
 * The turn to answer: the newest user message with words the user typed, or the newest tool result
 * if it came after those words. User messages holding only hidden context are skipped.
 */
export function agentTurn(messages: AgentMessage[]): AgentTurn {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === "tool") return { kind: "tool_result", output: typedText(m.content) };
    if (m.role !== "user") continue;
    const words = typedText(m.content);
    if (words) return { kind: "answer", words };
  }
  return { kind: "answer", words: "" };
}

/** Tool names taken as the agent's shell, in the order they are looked for. */
const SHELL_TOOLS = ["Bash", "exec_command", "shell"];

/**
 * The tool the user's words ask for, with the words that fill its arguments: words starting with
 * `run` ask for the shell tool (the rest is the command); otherwise the first offered tool named in
 * the words as a whole word (case-insensitive), with the words after its name.
 */
export function requestedTool(words: string, tools: AgentTool[]): { tool: AgentTool; rest: string } | undefined {
  const named = tools.filter((t) => typeof t.function?.name === "string" && t.function.name !== "");
  const run = /^run\b[\s:]*/i.exec(words);
  if (run) {
    const shell = SHELL_TOOLS.map((s) => named.find((t) => t.function!.name === s)).find(Boolean);
    if (shell) return { tool: shell, rest: words.slice(run[0].length).trim() };
  }
  let best: { tool: AgentTool; at: number; end: number } | undefined;
  const lower = words.toLowerCase();
  for (const tool of named) {
    const name = (tool.function!.name as string).toLowerCase();
    for (let at = lower.indexOf(name); at !== -1; at = lower.indexOf(name, at + 1)) {
      const end = at + name.length;
      if (isWordChar(lower[at - 1]) || isWordChar(lower[end])) continue;
      if (!best || at < best.at) best = { tool, at, end };
      break;
    }
  }
  if (!best) return undefined;
  return {
    tool: best.tool,
    rest: words
      .slice(best.end)
      .replace(/^[\s:]+/, "")
      .trim(),
  };
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[a-z0-9_]/i.test(c);
}

/**
 * Arguments for an agent-mode tool call: the schema's required properties (all of them if it names
 * none), strings filled with `text`, arrays of strings with its words.
 */
export function agentArguments(schema: unknown, text: string): Record<string, unknown> {
  const s = schema as { properties?: Record<string, { type?: unknown; enum?: unknown[]; items?: { type?: unknown } }>; required?: unknown } | undefined;
  const props = s?.properties ?? {};
  const required = Array.isArray(s?.required) ? new Set(s.required.filter((r): r is string => typeof r === "string")) : undefined;
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(props)) {
    if (required && !required.has(name)) continue;
    if (Array.isArray(prop.enum) && prop.enum.length) out[name] = prop.enum[0];
    else if (prop.type === "number" || prop.type === "integer") out[name] = 1;
    else if (prop.type === "boolean") out[name] = true;
    else if (prop.type === "array") out[name] = prop.items?.type === "string" ? text.split(/\s+/).filter(Boolean) : [];
    else if (prop.type === "object") out[name] = {};
    else out[name] = text;
  }
  return out;
}

const QUOTE_LIMIT = 200;

/** The greeting: short, and naming what the user typed. */
export function greeting(words: string): string {
  const quoted = words.length > QUOTE_LIMIT ? `${words.slice(0, QUOTE_LIMIT)}…` : words;
  const said = quoted ? ` You said: "${quoted.replace(/\s+/g, " ")}".` : "";
  return `Hello from yaLLMproxy's mock model!${said} Start a message with "run" to see a tool call.`;
}

const OUTPUT_LIMIT = 500;

/** The answer after a tool ran. */
export function afterTool(output: string): string {
  const trimmed = output.trim();
  const shown = trimmed.length > OUTPUT_LIMIT ? `${trimmed.slice(0, OUTPUT_LIMIT)}…` : trimmed;
  return shown ? `The tool returned:\n${shown}` : "The tool returned nothing.";
}

/** The text parts of a chat message's content, one per line. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === "object" && p !== null && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : ""))
      .filter(Boolean)
      .join("\n");
  }
  return "";
}
