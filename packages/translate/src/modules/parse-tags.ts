// `parse_tags`: reasoning and tool calls a model wrote into its text as tags (vLLM without a
// reasoning or tool parser, GLM, Qwen3, Kimi K2) become hub reasoning and tool-call events, so
// every client format gets real reasoning and function calls. Streams are scanned per choice.

import type { AssistantPart, Choice, LlmResponse, StreamEvent, TranslateContext, TranslationWarning } from "../ir.js";
import type { ResponseModule, StreamStep } from "./module.js";
import { type ScanNote, type ScanOutput, type ScannerOptions, TagScanner } from "./tag-scanner.js";

export type ParseTagsSettings = ScannerOptions;

function noteWarning(note: ScanNote, choice: number): TranslationWarning {
  const path = `choices[${choice}]`;
  switch (note.kind) {
    case "unparsed":
      return { code: "tool_call_unparsed", path, message: `parse_tags: a tool-call block did not read as a call and was kept as text: ${note.text}` };
    case "limit":
      return {
        code: "tool_call_unparsed",
        path,
        message: `parse_tags: a tool-call block passed tool_buffer_limit (${note.limit} characters) and was kept as text`,
      };
    case "incomplete":
      return {
        code: "tool_call_unparsed",
        path,
        message: `parse_tags: the streamed arguments of '${note.name}' ended before </function>; the call was closed there, its arguments kept valid JSON`,
      };
    case "dropped":
      return { code: "content_dropped", path, message: `parse_tags: ${note.length} characters after a tool call were dropped: ${note.preview}` };
  }
}

interface ChoiceScan {
  scanner: TagScanner;
  /** The next hub index of a tool call of this choice (upstream calls and parsed ones share it). */
  next: number;
  /** Upstream call index → hub index. */
  upstream: Map<number, number>;
  streaming: number | undefined;
  calls: number;
}

class ParseTagsStream implements StreamStep {
  private readonly choices = new Map<number, ChoiceScan>();

  constructor(
    private readonly settings: ParseTagsSettings,
    private readonly ctx: TranslateContext,
    private readonly warnings: TranslationWarning[],
  ) {}

  private state(choice: number): ChoiceScan {
    let s = this.choices.get(choice);
    if (!s) {
      s = { scanner: new TagScanner(this.settings), next: 0, upstream: new Map(), streaming: undefined, calls: 0 };
      this.choices.set(choice, s);
    }
    return s;
  }

  push(ev: StreamEvent): StreamEvent[] {
    switch (ev.type) {
      case "text_delta": {
        if (ev.annotations) return [ev];
        const out: StreamEvent[] = [];
        this.emit(ev.choice, this.state(ev.choice).scanner.feed(ev.delta), out);
        return out;
      }
      case "tool_call_start": {
        const s = this.state(ev.choice);
        const index = s.next++;
        s.upstream.set(ev.index, index);
        s.calls++;
        return [{ ...ev, index }];
      }
      case "tool_call_delta":
      case "tool_call_end":
        return [{ ...ev, index: this.state(ev.choice).upstream.get(ev.index) ?? ev.index }];
      case "finish": {
        const out = this.flushChoice(ev.choice);
        const s = this.choices.get(ev.choice);
        out.push(ev.reason === "stop" && s && s.calls > 0 ? { ...ev, reason: "tool_calls" } : ev);
        return out;
      }
      case "end":
      case "error": {
        const out: StreamEvent[] = [];
        for (const choice of this.choices.keys()) out.push(...this.flushChoice(choice));
        out.push(ev);
        return out;
      }
      default:
        return [ev];
    }
  }

  private flushChoice(choice: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    const s = this.choices.get(choice);
    if (s) this.emit(choice, s.scanner.flush(), out);
    return out;
  }

  private emit(choice: number, outputs: ScanOutput[], out: StreamEvent[]): void {
    const s = this.state(choice);
    for (const o of outputs) {
      switch (o.kind) {
        case "text":
          out.push({ type: "text_delta", choice, delta: o.text });
          break;
        case "reasoning":
          out.push({ type: "reasoning_delta", choice, delta: o.text, kind: "raw" });
          break;
        case "call": {
          const index = s.next++;
          s.calls++;
          out.push({ type: "tool_call_start", choice, index, id: this.ctx.newId("call_"), name: o.call.name });
          out.push({ type: "tool_call_delta", choice, index, argumentsDelta: o.call.arguments });
          out.push({ type: "tool_call_end", choice, index });
          break;
        }
        case "call_chunk": {
          const { chunk } = o;
          if (chunk.name !== undefined || s.streaming === undefined) {
            s.streaming = s.next++;
            s.calls++;
            out.push({ type: "tool_call_start", choice, index: s.streaming, id: this.ctx.newId("call_"), name: chunk.name ?? "" });
          }
          if (chunk.args !== "") out.push({ type: "tool_call_delta", choice, index: s.streaming, argumentsDelta: chunk.args });
          if (chunk.finished) {
            out.push({ type: "tool_call_end", choice, index: s.streaming });
            s.streaming = undefined;
          }
          break;
        }
        case "note":
          this.warnings.push(noteWarning(o.note, choice));
          break;
      }
    }
  }
}

/** One whole answer's choice: its text scanned at once, the parts rebuilt around what was found. */
function parseChoice(choice: Choice, settings: ParseTagsSettings, ctx: TranslateContext, warnings: TranslationWarning[]): Choice {
  const text = choice.content.filter((p) => p.type === "text").map((p) => (p.type === "text" ? p.text : ""));
  if (text.length === 0 || choice.content.some((p) => p.type === "text" && p.annotations)) return choice;
  const hasReasoning = choice.content.some((p) => p.type === "reasoning");
  const hasCalls = choice.content.some((p) => p.type === "tool_call");
  const scanner = new TagScanner({ ...settings, parseThinking: settings.parseThinking && !hasReasoning, parseToolCalls: settings.parseToolCalls && !hasCalls });
  const outputs = scanner.feed(text.join(""));
  const endedInThink = scanner.inThink;
  outputs.push(...scanner.flush());
  let reasoning = "";
  let content = "";
  const calls: AssistantPart[] = [];
  const notes: TranslationWarning[] = [];
  for (const o of outputs) {
    if (o.kind === "text") content += o.text;
    else if (o.kind === "reasoning") reasoning += o.text;
    else if (o.kind === "call") calls.push({ type: "tool_call", id: ctx.newId("call_"), name: o.call.name, arguments: o.call.arguments });
    else if (o.kind === "note") notes.push(noteWarning(o.note, choice.index));
  }
  // `start_in_think` that never saw `</think>` and found nothing else: the answer was plain text.
  if (settings.startInThink && endedInThink && calls.length === 0 && reasoning !== "" && content.trim() === "") return choice;
  warnings.push(...notes);
  const kept = choice.content.filter((p) => p.type !== "text");
  const parts: AssistantPart[] = [...kept.filter((p) => p.type === "reasoning")];
  if (reasoning !== "") parts.push({ type: "reasoning", text: reasoning, kind: "raw" });
  if (content.trim() !== "") parts.push({ type: "text", text: content });
  parts.push(...kept.filter((p) => p.type !== "reasoning"), ...calls);
  const finishReason = calls.length > 0 && choice.finishReason === "stop" ? "tool_calls" : choice.finishReason;
  return { ...choice, content: parts, finishReason };
}

export function parseTagsModule(settings: ParseTagsSettings): ResponseModule {
  return {
    name: "parse_tags",
    stream: (ctx, warnings) => new ParseTagsStream(settings, ctx, warnings),
    response: (response: LlmResponse, ctx, warnings) => ({ ...response, choices: response.choices.map((c) => parseChoice(c, settings, ctx, warnings)) }),
  };
}
