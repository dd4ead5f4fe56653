// The incremental scanner behind `parse_tags`: a model's text in, chunk by chunk, sorted into
// plain text, reasoning (`<think>…</think>`) and tool calls (`<tool_call>…</tool_call>` or custom
// delimiters). It holds at most a tag's length of text between chunks, plus one open tool block up
// to its buffer limit; a block that does not parse, or outgrows the limit, goes on as text with a note.

import type { ParsedToolCall, ToolBlockParser } from "./tool-call-blocks.js";
import { heldPrefixLength, heldPrefixLengthOfAny } from "./tag-prefix.js";
import { type ToolArgsChunk, XmlToolStreamer } from "./xml-tool-streamer.js";

export interface ScannerOptions {
  parseThinking: boolean;
  thinkOpen: string;
  thinkClose: string;
  parseToolCalls: boolean;
  toolOpen: string;
  toolClose: string;
  parseBlock: ToolBlockParser;
  /** Stream `<function=…>` arguments as they come (XML blocks only). */
  streamToolCalls: boolean;
  /** Markers removed wherever they appear (K2's section markers). */
  dropTags: readonly string[];
  /** Characters an open tool block may hold before it is given up as text. */
  toolBufferLimit: number;
  /** Text after the first tool call is dropped, as the models' chat templates never render it. */
  dropAfterToolCall: boolean;
  startInThink: boolean;
}

export type ScanNote =
  | { kind: "unparsed"; text: string }
  | { kind: "limit"; limit: number }
  | { kind: "incomplete"; name: string }
  | { kind: "dropped"; length: number; preview: string };

export type ScanOutput =
  | { kind: "text"; text: string }
  | { kind: "reasoning"; text: string }
  | { kind: "call"; call: ParsedToolCall }
  | { kind: "call_chunk"; chunk: ToolArgsChunk }
  | { kind: "note"; note: ScanNote };

type Mode = "text" | "think" | "tool";

const PREVIEW = 200;

export class TagScanner {
  private mode: Mode;
  private parent: "text" | "think" = "text";
  private buffer = "";
  private block = "";
  /** The block outgrew the limit while its call was already streaming: it is no longer kept. */
  private blockDropped = false;
  private streamer: XmlToolStreamer | undefined;
  private streamedName = "";
  private calledTool = false;
  private droppedLength = 0;
  private droppedPreview = "";
  private readonly textTags: string[];
  private readonly thinkTags: string[];
  /** …once the block has reasoning: a `<think>` inside it is text. */
  private readonly thinkTagsInside: string[];
  /** Nothing of the current think block has gone out yet (a repeated `<think>` there is swallowed). */
  private thinkFresh = true;
  private out: ScanOutput[] = [];

  constructor(private readonly opts: ScannerOptions) {
    this.mode = opts.startInThink && opts.parseThinking ? "think" : "text";
    const tool = opts.parseToolCalls ? [opts.toolOpen] : [];
    this.textTags = [...(opts.parseThinking ? [opts.thinkOpen] : []), ...tool, ...opts.dropTags].filter((t) => t !== "");
    this.thinkTags = [opts.thinkOpen, opts.thinkClose, ...tool, ...opts.dropTags].filter((t) => t !== "");
    this.thinkTagsInside = this.thinkTags.filter((t) => t !== opts.thinkOpen);
  }

  /** Whether the scanner is inside a reasoning block (an unclosed `<think>` at the end). */
  get inThink(): boolean {
    return this.mode === "think";
  }

  feed(text: string): ScanOutput[] {
    this.out = [];
    if (text === "") return this.out;
    this.buffer += text;
    while (this.buffer !== "" && this.step());
    return this.out;
  }

  /** The text still held, as what it was: an unclosed block becomes text again. */
  flush(): ScanOutput[] {
    this.out = [];
    if (this.mode === "tool") {
      this.closeStreamed();
      if (!this.streamer?.emitted) this.emit(this.opts.toolOpen + this.block + this.buffer, this.parent);
    } else this.emit(this.buffer, this.mode);
    this.buffer = "";
    this.block = "";
    this.streamer = undefined;
    this.mode = "text";
    if (this.droppedLength > 0) this.out.push({ kind: "note", note: { kind: "dropped", length: this.droppedLength, preview: this.droppedPreview } });
    this.droppedLength = 0;
    return this.out;
  }

  private emit(text: string, mode: "text" | "think"): void {
    if (text === "") return;
    if (this.calledTool && this.opts.dropAfterToolCall) {
      if (text.trim() !== "") {
        this.droppedLength += text.length;
        if (this.droppedPreview.length < PREVIEW) this.droppedPreview = (this.droppedPreview + text).slice(0, PREVIEW);
      }
      return;
    }
    if (mode === "think") this.thinkFresh = false;
    const kind = mode === "think" ? "reasoning" : "text";
    const last = this.out[this.out.length - 1];
    if (last && last.kind === kind) last.text += text;
    else this.out.push({ kind, text });
  }

  /** One step; false when the buffer needs more text. */
  private step(): boolean {
    if (this.mode === "tool") return this.stepTool();
    const mode = this.mode;
    const tags = mode === "text" ? this.textTags : this.thinkFresh ? this.thinkTags : this.thinkTagsInside;
    let at = -1;
    let tag = "";
    for (const t of tags) {
      const i = this.buffer.indexOf(t);
      if (i !== -1 && (at === -1 || i < at || (i === at && t.length > tag.length))) {
        at = i;
        tag = t;
      }
    }
    if (at === -1) {
      const keep = heldPrefixLengthOfAny(this.buffer, tags);
      this.emit(this.buffer.slice(0, this.buffer.length - keep), mode);
      this.buffer = this.buffer.slice(this.buffer.length - keep);
      return false;
    }
    // A `<think>` inside reasoning is a repeated opening only at the block's very start.
    const literal = mode === "think" && tag === this.opts.thinkOpen && at > 0;
    this.emit(this.buffer.slice(0, literal ? at + tag.length : at), mode);
    this.buffer = this.buffer.slice(at + tag.length);
    if (literal) return true;
    if (this.opts.parseToolCalls && tag === this.opts.toolOpen) this.enterTool(mode);
    else if (tag === this.opts.thinkOpen && this.opts.parseThinking) {
      if (mode === "text") this.thinkFresh = true;
      this.mode = "think";
    } else if (tag === this.opts.thinkClose && mode === "think") this.mode = "text";
    return true;
  }

  private enterTool(parent: "text" | "think"): void {
    this.parent = parent;
    this.mode = "tool";
    this.block = "";
    this.blockDropped = false;
    this.streamedName = "";
    this.streamer = this.opts.streamToolCalls ? new XmlToolStreamer(this.opts.toolBufferLimit) : undefined;
  }

  private stepTool(): boolean {
    const close = this.buffer.indexOf(this.opts.toolClose);
    if (close === -1) {
      const keep = heldPrefixLength(this.buffer, this.opts.toolClose);
      const head = this.buffer.slice(0, this.buffer.length - keep);
      this.buffer = this.buffer.slice(this.buffer.length - keep);
      this.addBlockText(head);
      return this.mode !== "tool";
    }
    const head = this.buffer.slice(0, close);
    this.buffer = this.buffer.slice(close);
    this.addBlockText(head);
    // Given up at the limit: the close tag is read as text with the rest.
    if (this.mode !== "tool") return true;
    this.buffer = this.buffer.slice(this.opts.toolClose.length);
    this.closeBlock();
    return true;
  }

  private addBlockText(text: string): void {
    if (text === "") return;
    if (this.streamer) {
      for (const chunk of this.streamer.feed(text)) {
        if (chunk.name !== undefined) this.streamedName = chunk.name;
        this.out.push({ kind: "call_chunk", chunk });
      }
    }
    if (this.blockDropped) return;
    this.block += text;
    if (this.block.length <= this.opts.toolBufferLimit) return;
    if (this.streamer?.emitted) {
      this.blockDropped = true;
      this.block = "";
      return;
    }
    // Given up as a tool call: the block so far is text, and what follows is read as text too.
    this.out.push({ kind: "note", note: { kind: "limit", limit: this.opts.toolBufferLimit } });
    this.emit(this.opts.toolOpen + this.block, this.parent);
    this.block = "";
    this.streamer = undefined;
    this.mode = this.parent;
  }

  /** A streamed call whose block ended before its `</function>`: closed as it is, with a note. */
  private closeStreamed(): boolean {
    if (!this.streamer?.emitted) return false;
    if (!this.streamer.finished) {
      this.out.push({ kind: "call_chunk", chunk: { args: this.streamer.close(), finished: true } });
      this.out.push({ kind: "note", note: { kind: "incomplete", name: this.streamedName } });
    }
    this.calledTool = true;
    return true;
  }

  private closeBlock(): void {
    const streamed = this.closeStreamed();
    if (!streamed) {
      const call = this.opts.parseBlock(this.block);
      if (call) {
        this.out.push({ kind: "call", call });
        this.calledTool = true;
      } else {
        const literal = this.opts.toolOpen + this.block + this.opts.toolClose;
        this.out.push({ kind: "note", note: { kind: "unparsed", text: literal.slice(0, PREVIEW) } });
        this.emit(literal, this.parent);
      }
    }
    this.block = "";
    this.streamer = undefined;
    this.mode = this.parent;
  }
}
