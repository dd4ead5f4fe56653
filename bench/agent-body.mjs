// Deterministic agent-sized request bodies: a coding agent's whole history as it resends it every
// turn — a long system prompt, tool definitions, then rounds of user text, assistant text with tool
// calls, and tool results holding source files (quotes, backslashes and newlines, which JSON must
// escape). The same content in the three wire formats, grown round by round until it reaches the size.

const WORDS =
  "the proxy relays each request to its upstream and reads the answer back while agents resend their whole history every turn so bodies grow large quickly".split(
    " ",
  );

/** A small linear congruential generator: the same bodies on every run and machine. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function prose(next, words) {
  let out = "";
  for (let i = 0; i < words; i++) out += (i ? " " : "") + WORDS[Math.floor(next() * WORDS.length)];
  return `${out}.`;
}

function sourceFile(next, lines) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    const name = WORDS[Math.floor(next() * WORDS.length)];
    out.push(
      i % 7 === 0 ? `// ${prose(next, 8)}` : `  const ${name}${i} = await read("${name}\\${i}.ts", { mode: 'utf8', limit: ${Math.floor(next() * 1000)} });`,
    );
  }
  return out.join("\n");
}

const TOOLS = ["Read", "Edit", "Bash", "Grep", "Glob", "Write", "WebFetch", "TodoWrite"].map((name) => ({
  name,
  description: `${name}: ${"Use this tool when the task needs it; it returns the result as text. ".repeat(6)}`,
  parameters: {
    type: "object",
    properties: { path: { type: "string", description: "Absolute path." }, pattern: { type: "string" }, limit: { type: "integer", minimum: 1 } },
    required: ["path"],
  },
}));

/** Rounds of history: user text, an assistant tool call, its result. */
function* rounds(seed) {
  const next = rng(seed);
  for (let i = 0; ; i++) {
    const tool = TOOLS[i % TOOLS.length].name;
    yield {
      user: prose(next, 40),
      assistant: prose(next, 30),
      callId: `call_${String(i).padStart(6, "0")}`,
      tool,
      args: JSON.stringify({ path: `/src/module${i}.ts`, pattern: prose(next, 3), limit: 200 }),
      result: sourceFile(next, 60),
    };
  }
}

const SYSTEM = `You are a coding agent. ${"Follow the user's instructions carefully and use the tools to inspect and change files. ".repeat(120)}`;

function build(format, targetBytes, model, stream, seed) {
  const body = { model, stream, ...(format === "messages" ? { max_tokens: 4096 } : {}) };
  const items = [];
  const tools =
    format === "chat"
      ? TOOLS.map((t) => ({ type: "function", function: t }))
      : format === "responses"
        ? TOOLS.map((t) => ({ type: "function", ...t }))
        : TOOLS.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
  if (format === "chat") items.push({ role: "system", content: SYSTEM });
  if (format === "messages") body.system = SYSTEM;
  // Agents resending their history on Responses keep nothing on the server (as Codex does).
  if (format === "responses") Object.assign(body, { instructions: SYSTEM, store: false });
  body.tools = tools;
  let size = JSON.stringify(body).length + JSON.stringify(items).length + 64;
  let pending = [];
  let pendingNext;
  for (const r of rounds(seed)) {
    let added;
    if (format === "chat") {
      added = [
        { role: "user", content: r.user },
        { role: "assistant", content: r.assistant, tool_calls: [{ id: r.callId, type: "function", function: { name: r.tool, arguments: r.args } }] },
        { role: "tool", tool_call_id: r.callId, content: r.result },
      ];
    } else if (format === "messages") {
      // Roles alternate: each user turn carries the previous round's tool result.
      added = [
        { role: "user", content: [...pending, { type: "text", text: r.user }] },
        {
          role: "assistant",
          content: [
            { type: "text", text: r.assistant },
            { type: "tool_use", id: r.callId, name: r.tool, input: JSON.parse(r.args) },
          ],
        },
      ];
      pendingNext = [{ type: "tool_result", tool_use_id: r.callId, content: r.result }];
    } else {
      added = [
        { type: "message", role: "user", content: [{ type: "input_text", text: r.user }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: r.assistant }] },
        { type: "function_call", call_id: r.callId, name: r.tool, arguments: r.args },
        { type: "function_call_output", call_id: r.callId, output: r.result },
      ];
    }
    const cost = JSON.stringify(added).length;
    if (size + cost > targetBytes && items.length > 1) break;
    items.push(...added);
    size += cost;
    if (pendingNext) pending = pendingNext;
  }
  // The history ends with the user's new turn.
  if (format === "responses") items.push({ type: "message", role: "user", content: [{ type: "input_text", text: "Go on." }] });
  else if (format === "messages") items.push({ role: "user", content: [...pending, { type: "text", text: "Go on." }] });
  else items.push({ role: "user", content: "Go on." });
  if (format === "responses") body.input = items;
  else body.messages = items;
  return body;
}

/**
 * A request body of about `targetBytes` of JSON in `format` ("chat", "messages" or "responses").
 * Never contains the text `"stream":true` except as its own field, which the bench upstream looks for.
 */
export function agentBody(format, targetBytes, { model = "bench", stream = false, seed = 1 } = {}) {
  return build(format, targetBytes, model, stream, seed);
}
