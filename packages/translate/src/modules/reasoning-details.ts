// MiniMax (and some OpenAI-compatible servers) send reasoning as `reasoning_details`, a list of
// `{type: "reasoning.text", text}`; its text is read as the message's reasoning when
// `reasoning_content` is absent, as yaLLMproxy does for every chat answer.

import { isRecord } from "../shared/guards.js";

function textOf(value: unknown, depth: number): string {
  if (typeof value === "string") return value;
  if (depth > 8) return "";
  if (Array.isArray(value)) return value.map((v) => textOf(v, depth + 1)).join("");
  if (!isRecord(value)) return "";
  const rec = value;
  if (typeof rec.text === "string") return rec.text;
  for (const key of ["content", "reasoning", "reasoning_text"]) {
    const inner = textOf(rec[key], depth + 1);
    if (inner !== "") return inner;
  }
  return "";
}

/** The reasoning text of a `reasoning_details` value, or undefined when it holds none. */
export function reasoningDetailsText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = textOf(value, 0);
  return text.trim() === "" ? undefined : text;
}
