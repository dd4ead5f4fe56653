// `swap_reasoning_content`: reasoning moved into the visible text wrapped in think tags (for
// clients that only show content), or think tags in the text moved out into reasoning; `auto`
// picks per choice from what the backend sends first.

import type { AssistantPart, Choice, StreamEvent } from "../ir.js";
import type { ResponseModule, StreamStep } from "./module.js";
import { TagScanner } from "./tag-scanner.js";
import { parseXmlToolBlock } from "./tool-call-blocks.js";

export type SwapMode = "reasoning_to_content" | "content_to_reasoning" | "auto";

export interface SwapReasoningSettings {
  mode: SwapMode;
  thinkTag: string;
  /** Text around the open tag and the close tag, as the model's chat template renders them. */
  thinkOpen: { prefix: string; suffix: string };
  thinkClose: { prefix: string; suffix: string };
  /** A newline between the closed reasoning and the content. */
  includeNewline: boolean;
}

const openBlock = (s: SwapReasoningSettings) => `${s.thinkOpen.prefix}<${s.thinkTag}>${s.thinkOpen.suffix}`;
const closeBlock = (s: SwapReasoningSettings) => `${s.thinkClose.prefix}</${s.thinkTag}>${s.thinkClose.suffix}`;

function thinkScanner(s: SwapReasoningSettings): TagScanner {
  return new TagScanner({
    parseThinking: true,
    thinkOpen: `<${s.thinkTag}>`,
    thinkClose: `</${s.thinkTag}>`,
    parseToolCalls: false,
    toolOpen: "",
    toolClose: "",
    parseBlock: parseXmlToolBlock,
    streamToolCalls: false,
    dropTags: [],
    toolBufferLimit: 0,
    dropAfterToolCall: false,
    startInThink: false,
  });
}

interface SwapChoice {
  mode: "reasoning_to_content" | "content_to_reasoning" | undefined;
  inside: boolean;
  scanner: TagScanner | undefined;
}

class SwapStream implements StreamStep {
  private readonly choices = new Map<number, SwapChoice>();
  constructor(private readonly s: SwapReasoningSettings) {}

  private state(choice: number, ev: StreamEvent): SwapChoice {
    let c = this.choices.get(choice);
    if (!c) {
      c = { mode: this.s.mode === "auto" ? undefined : this.s.mode, inside: false, scanner: undefined };
      this.choices.set(choice, c);
    }
    if (c.mode === undefined && ev.type === "reasoning_delta") c.mode = "reasoning_to_content";
    else if (c.mode === undefined && ev.type === "text_delta") c.mode = "content_to_reasoning";
    return c;
  }

  push(ev: StreamEvent): StreamEvent[] {
    if (ev.type === "end" || ev.type === "error") {
      const out: StreamEvent[] = [];
      for (const choice of this.choices.keys()) out.push(...this.close(choice));
      out.push(ev);
      return out;
    }
    if (!("choice" in ev)) return [ev];
    const c = this.state(ev.choice, ev);
    if (c.mode === "reasoning_to_content") return this.toContent(c, ev);
    if (c.mode === "content_to_reasoning") return this.toReasoning(c, ev);
    return [ev];
  }

  /** Closes what a choice holds: an open think block, or text its scanner kept back. */
  private close(choice: number): StreamEvent[] {
    const c = this.choices.get(choice);
    if (!c) return [];
    if (c.inside) {
      c.inside = false;
      return [{ type: "text_delta", choice, delta: closeBlock(this.s) }];
    }
    if (!c.scanner) return [];
    return c.scanner
      .flush()
      .flatMap((o): StreamEvent[] =>
        o.kind === "text"
          ? [{ type: "text_delta", choice, delta: o.text }]
          : o.kind === "reasoning"
            ? [{ type: "reasoning_delta", choice, delta: o.text, kind: "raw" }]
            : [],
      );
  }

  private toContent(c: SwapChoice, ev: StreamEvent & { choice: number }): StreamEvent[] {
    switch (ev.type) {
      case "reasoning_delta": {
        const delta = (c.inside ? "" : openBlock(this.s)) + ev.delta;
        c.inside = true;
        return [{ type: "text_delta", choice: ev.choice, delta }];
      }
      case "reasoning_end":
        return [];
      case "text_delta":
        if (!c.inside) return [ev];
        c.inside = false;
        return [{ ...ev, delta: closeBlock(this.s) + (this.s.includeNewline ? "\n" : "") + ev.delta }];
      case "tool_call_start":
      case "finish":
        return [...this.close(ev.choice), ev];
      default:
        return [ev];
    }
  }

  private toReasoning(c: SwapChoice, ev: StreamEvent & { choice: number }): StreamEvent[] {
    if (ev.type === "finish") return [...this.close(ev.choice), ev];
    if (ev.type !== "text_delta" || ev.annotations) return [ev];
    c.scanner ??= thinkScanner(this.s);
    return c.scanner
      .feed(ev.delta)
      .flatMap((o): StreamEvent[] =>
        o.kind === "text"
          ? [{ ...ev, delta: o.text }]
          : o.kind === "reasoning"
            ? [{ type: "reasoning_delta", choice: ev.choice, delta: o.text, kind: "raw" }]
            : [],
      );
  }
}

function textOf(parts: AssistantPart[], type: "text" | "reasoning"): string | undefined {
  const texts = parts.flatMap((p) => (p.type === type ? [p.text] : []));
  return texts.length > 0 ? texts.join("") : undefined;
}

function reasoningIntoText(choice: Choice, s: SwapReasoningSettings, reasoning: string): Choice {
  const content = textOf(choice.content, "text");
  const wrapped = openBlock(s) + reasoning + closeBlock(s) + (content ? (s.includeNewline ? "\n" : "") + content : "");
  const rest = choice.content.filter((p) => p.type !== "text" && p.type !== "reasoning");
  return { ...choice, content: [{ type: "text", text: wrapped }, ...rest] };
}

/** The first think block of the text moved into reasoning, the text around it kept. */
function textIntoReasoning(choice: Choice, s: SwapReasoningSettings): Choice {
  const content = textOf(choice.content, "text");
  if (!content) return choice;
  const open = `<${s.thinkTag}>`;
  const close = `</${s.thinkTag}>`;
  const start = content.indexOf(open);
  const end = start === -1 ? -1 : content.indexOf(close, start + open.length);
  if (end === -1) return choice;
  const reasoning = content.slice(start + open.length, end);
  const rest = content.slice(0, start) + content.slice(end + close.length);
  const others = choice.content.filter((p) => p.type !== "text");
  const parts: AssistantPart[] = [{ type: "reasoning", text: reasoning, kind: "raw" }];
  if (rest.trim() !== "") parts.push({ type: "text", text: rest });
  return { ...choice, content: [...parts, ...others] };
}

export function swapReasoningModule(s: SwapReasoningSettings): ResponseModule {
  const swap = (choice: Choice): Choice => {
    const reasoning = textOf(choice.content, "reasoning");
    if (s.mode !== "content_to_reasoning" && reasoning) return reasoningIntoText(choice, s, reasoning);
    return s.mode === "reasoning_to_content" ? choice : textIntoReasoning(choice, s);
  };
  return {
    name: "swap_reasoning_content",
    stream: () => new SwapStream(s),
    response: (response) => ({ ...response, choices: response.choices.map(swap) }),
  };
}
