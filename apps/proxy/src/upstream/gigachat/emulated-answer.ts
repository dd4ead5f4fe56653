// Reads the JSON object tool emulation asks GigaChat for, leniently as yaLLMproxy does: a markdown
// fence and text around the object are ignored, trailing commas repaired, a tool's name given as the
// action accepted. Plain text that is no JSON at all is the final answer itself.

import { type JsonObject, isObject } from "./gigachat-api.js";

type EmulatedAnswer = { action: "final_answer"; content: string } | { action: "call_tool"; tool: string; arguments: JsonObject };

/** The answer, or why it does not parse (said to GigaChat when it is asked again). */
export function parseEmulatedAnswer(content: unknown, tools: ReadonlySet<string>): EmulatedAnswer | string {
  if (typeof content !== "string") return "GigaChat response message content must be a string";
  const data = looseJson(content);
  if (data === undefined) {
    const plain = content.trim();
    return plain ? { action: "final_answer", content: plain } : "the answer is empty";
  }
  if (!isObject(data)) return "Tool emulation response must be a JSON object";
  let action = data.action;
  let tool = data.tool ?? data.tool_name;
  if (typeof action === "string" && tools.has(action)) {
    tool = tool ?? action;
    action = "call_tool";
  } else if (action === undefined && typeof tool === "string" && tools.has(tool)) {
    action = "call_tool";
  }
  if (action === "final_answer") {
    return typeof data.content === "string" ? { action, content: data.content } : "Tool emulation final_answer requires string field 'content'";
  }
  if (action !== "call_tool") return "Tool emulation response field 'action' must be either 'call_tool' or 'final_answer'";
  if (typeof tool !== "string" || !tool) return "Tool emulation call_tool requires string field 'tool'";
  if (tools.size > 0 && !tools.has(tool)) return `Unknown tool '${tool}'. Available tools: ${[...tools].sort().join(", ")}`;
  let args: unknown = data.arguments ?? data.args ?? {};
  if (typeof args === "string") args = looseJson(args);
  if (!isObject(args)) return "Tool emulation call_tool requires object field 'arguments'";
  return { action: "call_tool", tool, arguments: args };
}

/** The first `{` to the last `}` of the text, parsed as JSON (trailing commas forgiven), or undefined. */
function looseJson(text: string): unknown {
  let t = text.trim();
  if (t.startsWith("```"))
    t = t
      .replace(/^```(?:json)?/, "")
      .replace(/```$/, "")
      .trim();
  const start = t.indexOf("{");
  const end = t.lastIndexOf("}");
  if (start !== -1 && end > start) t = t.slice(start, end + 1);
  for (const candidate of [t, t.replace(/,\s*([}\]])/g, "$1")]) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // The next repair.
    }
  }
  return undefined;
}
