// Token counts for `count_tokens` on backends that cannot count themselves: the o200k tokenizer over
// every text the model would read (system, messages, tool calls and results, tool definitions).

import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";

let tokenizer: Tiktoken | undefined;
function encoder(): Tiktoken {
  tokenizer ??= new Tiktoken(o200k);
  return tokenizer;
}

/** Images and PDFs have no text to count; these are Anthropic's typical per-item costs. */
const IMAGE_TOKENS = 1600;
const DOCUMENT_TOKENS = 3000;
const PER_MESSAGE_OVERHEAD = 3;

function countBlocks(content: unknown, texts: string[]): number {
  if (typeof content === "string") {
    texts.push(content);
    return 0;
  }
  if (!Array.isArray(content)) return 0;
  let fixed = 0;
  for (const block of content as Array<Record<string, unknown>>) {
    switch (block.type) {
      case "text":
        if (typeof block.text === "string") texts.push(block.text);
        break;
      case "thinking":
        if (typeof block.thinking === "string") texts.push(block.thinking);
        break;
      case "tool_use":
        texts.push(String(block.name ?? ""), JSON.stringify(block.input ?? {}));
        break;
      case "tool_result":
        fixed += countBlocks(block.content, texts);
        break;
      case "image":
        fixed += IMAGE_TOKENS;
        break;
      case "document": {
        const source = block.source as { type?: string; data?: unknown } | undefined;
        if (source?.type === "text" && typeof source.data === "string") texts.push(source.data);
        else fixed += DOCUMENT_TOKENS;
        break;
      }
      default:
        break;
    }
  }
  return fixed;
}

export function countMessagesTokens(body: Record<string, unknown>): number {
  const texts: string[] = [];
  let fixed = countBlocks(body.system, texts);
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  for (const m of messages) fixed += PER_MESSAGE_OVERHEAD + countBlocks(m.content, texts);
  for (const tool of Array.isArray(body.tools) ? (body.tools as Array<Record<string, unknown>>) : []) {
    texts.push(String(tool.name ?? ""), String(tool.description ?? ""), JSON.stringify(tool.input_schema ?? {}));
  }
  const enc = encoder();
  let tokens = fixed;
  for (const t of texts) if (t) tokens += enc.encode(t).length;
  return tokens;
}
