// Responses input and output items as a conversation: messages as bubbles, tool calls and their
// results as cards, reasoning folded; anything else as JSON.

import type { ResponseItem } from "../../api/types";
import { JsonView } from "../../components/JsonView";

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) => {
      if (typeof part !== "object" || part === null) return "";
      const p = part as { type?: unknown; text?: unknown; refusal?: unknown };
      if (typeof p.text === "string") return p.text;
      if (typeof p.refusal === "string") return `[refused] ${p.refusal}`;
      if (p.type === "input_image") return "[image]";
      if (p.type === "input_file") return "[file]";
      return "";
    })
    .filter(Boolean)
    .join("\n");
}

function partTexts(v: unknown): string[] {
  return (Array.isArray(v) ? v : [])
    .map((p: unknown) => (typeof p === "object" && p !== null && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : ""))
    .filter(Boolean);
}

/** Summary and raw content; once when they are the same text (the proxy sends a chat backend's reasoning as both). */
function reasoningText(item: ResponseItem): string {
  const summary = partTexts(item.summary).join("\n\n");
  const content = partTexts(item.content).join("\n\n");
  return content === summary ? summary : [summary, content].filter(Boolean).join("\n\n");
}

function prettyArgs(args: unknown): string {
  if (typeof args !== "string") return JSON.stringify(args, null, 2);
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}

export function ConversationItem({ item }: { item: ResponseItem }) {
  const type = item.type ?? (item.role ? "message" : "unknown");
  if (type === "message") {
    const role = item.role ?? "assistant";
    return (
      <div className={`bubble bubble-${role === "assistant" ? "assistant" : role === "user" ? "user" : "system"}`}>
        <span className="bubble-role">{role}</span>
        <div className="bubble-text">{textOf(item.content) || <span className="muted">(empty)</span>}</div>
      </div>
    );
  }
  if (type === "function_call" || type === "custom_tool_call") {
    return (
      <div className="tool-card">
        <span className="tool-head">
          <span className="bubble-role">tool call</span> <span className="tool-name">{String(item.name ?? "?")}</span>{" "}
          <span className="muted mono small">{String(item.call_id ?? "")}</span>
        </span>
        <pre className="code-block code-tight">{prettyArgs(item.arguments ?? item.input)}</pre>
      </div>
    );
  }
  if (type === "function_call_output" || type === "custom_tool_call_output") {
    return (
      <div className="tool-card tool-result">
        <span className="tool-head">
          <span className="bubble-role">tool result</span> <span className="muted mono small">{String(item.call_id ?? "")}</span>
        </span>
        <pre className="code-block code-tight">{typeof item.output === "string" ? prettyArgs(item.output) : JSON.stringify(item.output, null, 2)}</pre>
      </div>
    );
  }
  if (type === "reasoning") {
    const text = reasoningText(item);
    return (
      <details className="reasoning">
        <summary>Reasoning{text ? "" : " (encrypted or empty)"}</summary>
        {text ? <div className="reasoning-text">{text}</div> : null}
      </details>
    );
  }
  return (
    <div className="tool-card">
      <span className="bubble-role">{type}</span>
      <JsonView value={item} maxHeight={240} />
    </div>
  );
}

export function ConversationItems({ items }: { items: ResponseItem[] }) {
  return (
    <div className="conversation">
      {items.map((item, i) => (
        <ConversationItem key={item.id ?? i} item={item} />
      ))}
    </div>
  );
}
