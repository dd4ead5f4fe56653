// Anthropic SSE (`event:` + data) from an Anthropic backend → hub stream events. Never throws: a bad frame
// becomes an `error` event, after which the decoder stays silent.

import { parseUpstreamJson } from "../shared/json-depth.js";
import type { SseFrame, StreamDecoder } from "../codec.js";
import type { StreamEvent, TranslateContext, TranslationWarning, Usage } from "../ir.js";
import { isRecord, type JsonObject } from "../shared/guards.js";
import { decodeMessagesUsage } from "./usage.js";
import { mapMessagesStopReason } from "./finish-reason.js";
import { unansweredSearchWarning, webSearchCallOf, webSearchQueryOf } from "./web-search.js";

type OpenBlock =
  /** A text block: its length so far and its citations, which cover all of it and go out at its end. */
  | { kind: "text"; length: number; citations: unknown[] }
  | { kind: "thinking" }
  | { kind: "redacted_thinking" }
  | { kind: "tool_use"; toolIndex: number; sentArguments: boolean }
  /** A web_search `server_tool_use`: its input streams as JSON, read whole at its stop. */
  | { kind: "web_search"; id: string; input: string }
  /** Server-tool blocks and future types: their deltas are skipped. */
  | { kind: "ignored" };

class MalformedFrame extends Error {}

function expectRecord(value: unknown, what: string): JsonObject {
  if (!isRecord(value)) throw new MalformedFrame(`${what} is not an object`);
  return value;
}

function expectString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new MalformedFrame(`${what} is not a string`);
  return value;
}

export interface MessagesStreamDecoderOptions {
  /** Source of `created` for the `start` event (Anthropic streams carry no timestamp); 0 without it. */
  ctx?: TranslateContext;
  /** Hears each block dropped for having no hub equivalent (server-tool blocks, `compaction`, future types). */
  warnings?: TranslationWarning[];
}

export function createMessagesStreamDecoder(opts: MessagesStreamDecoderOptions = {}): StreamDecoder {
  return new MessagesStreamDecoder(opts);
}

class MessagesStreamDecoder implements StreamDecoder {
  private readonly blocks = new Map<number, OpenBlock>();
  /** Web searches' queries by their `server_tool_use` id, until their result block comes. */
  private readonly searches = new Map<string, { query: string | undefined; path: string }>();
  private toolCount = 0;
  private usage: Usage | undefined;
  private finished = false;
  private done = false;

  constructor(private readonly opts: MessagesStreamDecoderOptions) {}

  private fail(message: string, type = "api_error"): StreamEvent[] {
    this.done = true;
    return [{ type: "error", error: { type, message } }];
  }

  private blockAt(data: JsonObject): OpenBlock {
    const index = data.index;
    const block = typeof index === "number" ? this.blocks.get(index) : undefined;
    if (block === undefined) throw new MalformedFrame(`no open content block at index ${String(index)}`);
    return block;
  }

  private onBlockStart(data: JsonObject): StreamEvent[] {
    const index = data.index;
    if (typeof index !== "number") throw new MalformedFrame("content_block_start without an index");
    const block = expectRecord(data.content_block, "content_block");
    switch (block.type) {
      case "text": {
        const text = typeof block.text === "string" ? block.text : "";
        this.blocks.set(index, { kind: "text", length: text.length, citations: [] });
        return text === "" ? [] : [{ type: "text_delta", choice: 0, delta: text }];
      }
      case "thinking": {
        this.blocks.set(index, { kind: "thinking" });
        const events: StreamEvent[] = [];
        if (typeof block.thinking === "string" && block.thinking !== "") {
          events.push({ type: "reasoning_delta", choice: 0, delta: block.thinking });
        }
        if (typeof block.signature === "string" && block.signature !== "") {
          events.push({ type: "reasoning_signature", choice: 0, signature: block.signature });
        }
        return events;
      }
      case "redacted_thinking":
        this.blocks.set(index, { kind: "redacted_thinking" });
        return [{ type: "reasoning_redacted", choice: 0, data: expectString(block.data, "redacted_thinking.data") }];
      case "tool_use": {
        const toolIndex = this.toolCount++;
        const id = expectString(block.id, "tool_use.id");
        const name = expectString(block.name, "tool_use.name");
        const events: StreamEvent[] = [{ type: "tool_call_start", choice: 0, index: toolIndex, id, name }];
        const sentArguments = isRecord(block.input) && Object.keys(block.input).length > 0;
        if (sentArguments) {
          events.push({ type: "tool_call_delta", choice: 0, index: toolIndex, argumentsDelta: JSON.stringify(block.input) });
        }
        this.blocks.set(index, { kind: "tool_use", toolIndex, sentArguments });
        return events;
      }
      case "server_tool_use":
        if (block.name !== "web_search") return this.ignore(index, "`server_tool_use` blocks");
        this.blocks.set(index, { kind: "web_search", id: expectString(block.id, "server_tool_use.id"), input: "" });
        this.searches.set(expectString(block.id, "server_tool_use.id"), { query: webSearchQueryOf(block.input), path: `content[${index}]` });
        return [];
      case "web_search_tool_result": {
        this.blocks.set(index, { kind: "ignored" });
        const call = webSearchCallOf(block, this.searches.get(String(block.tool_use_id))?.query);
        this.searches.delete(String(block.tool_use_id));
        return [{ type: "web_search_call", choice: 0, call }];
      }
      default:
        return this.ignore(index, `\`${String(block.type)}\` blocks`);
    }
  }

  private ignore(index: number, what: string): StreamEvent[] {
    this.blocks.set(index, { kind: "ignored" });
    this.opts.warnings?.push({ code: "content_dropped", path: `content[${index}]`, message: `${what} have no equivalent in the hub and were dropped` });
    return [];
  }

  private onBlockDelta(data: JsonObject): StreamEvent[] {
    const block = this.blockAt(data);
    const delta = expectRecord(data.delta, "delta");
    switch (delta.type) {
      case "text_delta": {
        const text = expectString(delta.text, "text_delta.text");
        if (block.kind !== "text" || text === "") return [];
        block.length += text.length;
        return [{ type: "text_delta", choice: 0, delta: text }];
      }
      case "citations_delta":
        if (block.kind === "text") block.citations.push(delta.citation);
        return [];
      case "thinking_delta": {
        const text = expectString(delta.thinking, "thinking_delta.thinking");
        return block.kind !== "thinking" || text === "" ? [] : [{ type: "reasoning_delta", choice: 0, delta: text }];
      }
      case "signature_delta": {
        const signature = expectString(delta.signature, "signature_delta.signature");
        return block.kind !== "thinking" ? [] : [{ type: "reasoning_signature", choice: 0, signature }];
      }
      case "input_json_delta": {
        const fragment = expectString(delta.partial_json, "input_json_delta.partial_json");
        if (block.kind === "web_search") block.input += fragment;
        if (block.kind !== "tool_use" || fragment === "") return [];
        block.sentArguments = true;
        return [{ type: "tool_call_delta", choice: 0, index: block.toolIndex, argumentsDelta: fragment }];
      }
      default:
        return [];
    }
  }

  private onBlockStop(data: JsonObject): StreamEvent[] {
    const block = this.blockAt(data);
    if (typeof data.index === "number") this.blocks.delete(data.index);
    switch (block.kind) {
      case "thinking":
      case "redacted_thinking":
        return [{ type: "reasoning_end", choice: 0 }];
      case "tool_use": {
        // A no-argument tool streams only "" fragments; OpenAI clients need "{}" to parse.
        const events: StreamEvent[] = [];
        if (!block.sentArguments) events.push({ type: "tool_call_delta", choice: 0, index: block.toolIndex, argumentsDelta: "{}" });
        events.push({ type: "tool_call_end", choice: 0, index: block.toolIndex });
        return events;
      }
      case "web_search":
        if (block.input !== "") this.searches.set(block.id, { query: webSearchQueryOf(parseUpstreamJson(block.input)), path: `content[${data.index}]` });
        return [];
      case "text":
        return block.citations.length === 0 ? [] : [{ type: "text_delta", choice: 0, delta: "", annotations: block.citations, annotated: block.length }];
      case "ignored":
        return [];
      default: {
        const exhaustive: never = block;
        return exhaustive;
      }
    }
  }

  private onMessageDelta(data: JsonObject): StreamEvent[] {
    const events: StreamEvent[] = [];
    const delta = isRecord(data.delta) ? data.delta : {};
    const rawStop = delta.stop_reason;
    if (!this.finished && typeof rawStop === "string") {
      this.finished = true;
      const finish: StreamEvent = { type: "finish", choice: 0, reason: mapMessagesStopReason(rawStop), raw: rawStop };
      if (typeof delta.stop_sequence === "string") finish.stopSequence = delta.stop_sequence;
      events.push(finish);
    }
    if (isRecord(data.usage)) {
      this.usage = decodeMessagesUsage(data.usage, this.usage);
      events.push({ type: "usage", usage: this.usage });
    }
    return events;
  }

  private decode(event: string, data: JsonObject): StreamEvent[] {
    switch (event) {
      case "message_start": {
        const message = expectRecord(data.message, "message");
        if (isRecord(message.usage)) this.usage = decodeMessagesUsage(message.usage);
        const start: StreamEvent = {
          type: "start",
          id: expectString(message.id, "message.id"),
          model: typeof message.model === "string" ? message.model : "",
          created: this.opts.ctx?.now() ?? 0,
        };
        if (this.usage !== undefined) start.usage = this.usage;
        return [start];
      }
      case "content_block_start":
        return this.onBlockStart(data);
      case "content_block_delta":
        return this.onBlockDelta(data);
      case "content_block_stop":
        return this.onBlockStop(data);
      case "message_delta":
        return this.onMessageDelta(data);
      case "message_stop":
        for (const { path } of this.searches.values()) this.opts.warnings?.push(unansweredSearchWarning(path));
        this.done = true;
        return [{ type: "end" }];
      case "error": {
        const error = isRecord(data.error) ? data.error : {};
        const type = typeof error.type === "string" ? error.type : "api_error";
        return this.fail(typeof error.message === "string" ? error.message : "upstream error", type);
      }
      default:
        return []; // ping and event types this decoder does not know
    }
  }

  push(frame: SseFrame): StreamEvent[] {
    if (this.done) return [];
    let parsed: unknown;
    try {
      parsed = parseUpstreamJson(frame.data);
    } catch {
      return this.fail(`malformed Anthropic stream data: ${frame.data.slice(0, 200)}`);
    }
    if (!isRecord(parsed)) return this.fail("malformed Anthropic stream data: not an object");
    const event = typeof parsed.type === "string" ? parsed.type : (frame.event ?? "");
    try {
      return this.decode(event, parsed);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return this.fail(`malformed Anthropic \`${event}\` event: ${reason}`);
    }
  }

  end(): StreamEvent[] {
    if (this.done) return [];
    this.done = true;
    return [{ type: "error", error: { type: "api_error", message: "upstream stream ended before message_stop" } }];
  }
}
