// Test helpers: read the recorded Anthropic streams, split SSE text with the real parser, and fold an
// Anthropic event stream into the blocks a client SDK would build.

import { readFileSync } from "node:fs";
import { createParser } from "eventsource-parser";
import type { SseFrame } from "../../codec.js";
import type { TranslateContext } from "../../ir.js";

export function readFixture(name: string): string {
  return readFileSync(new URL(`./${name}`, import.meta.url), "utf8");
}

/** One JSON payload per line → raw SSE with the `event:` lines the real wire has. */
export function jsonlToSse(jsonl: string): string {
  return jsonl
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const payload: unknown = JSON.parse(line);
      const type = typeof payload === "object" && payload !== null && "type" in payload ? String(payload.type) : "message";
      return `event: ${type}\ndata: ${line}\n\n`;
    })
    .join("");
}

/** Feeds SSE text to eventsource-parser in small chunks, as a network read would. */
export function parseSse(text: string, chunkSize = 37): SseFrame[] {
  const frames: SseFrame[] = [];
  const parser = createParser({
    onEvent(message) {
      frames.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
    },
  });
  for (let i = 0; i < text.length; i += chunkSize) parser.feed(text.slice(i, i + chunkSize));
  return frames;
}

export function testContext(): TranslateContext {
  let counter = 0;
  return { now: () => 1_750_000_000, newId: (prefix) => `${prefix}test${++counter}` };
}

interface FoldedBlock {
  index: number;
  type: string;
  text: string;
  thinking: string;
  signature: string;
  data?: string;
  id?: string;
  name?: string;
  json: string;
}

export interface FoldedStream {
  events: string[];
  messageStart?: Record<string, unknown>;
  blocks: FoldedBlock[];
  messageDeltas: Record<string, unknown>[];
  errors: Record<string, unknown>[];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * Folds Anthropic SSE frames the way the Anthropic SDK's message accumulator does, and checks the framing
 * rules on the way: `event:` equals `data.type`, deltas and stops only for the one open block.
 */
export function foldMessagesStream(frames: SseFrame[]): FoldedStream {
  const folded: FoldedStream = { events: [], blocks: [], messageDeltas: [], errors: [] };
  let openIndex: number | undefined;
  for (const frame of frames) {
    const data = asRecord(JSON.parse(frame.data));
    if (frame.event !== data.type) throw new Error(`event line ${String(frame.event)} does not match data.type ${String(data.type)}`);
    folded.events.push(str(data.type));
    switch (data.type) {
      case "message_start":
        folded.messageStart = asRecord(data.message);
        break;
      case "content_block_start": {
        if (openIndex !== undefined) throw new Error(`block ${openIndex} still open when ${String(data.index)} starts`);
        const block = asRecord(data.content_block);
        const index = Number(data.index);
        openIndex = index;
        const entry: FoldedBlock = {
          index,
          type: str(block.type),
          text: str(block.text),
          thinking: str(block.thinking),
          signature: str(block.signature),
          json: "",
        };
        if (typeof block.data === "string") entry.data = block.data;
        if (typeof block.id === "string") entry.id = block.id;
        if (typeof block.name === "string") entry.name = block.name;
        folded.blocks.push(entry);
        break;
      }
      case "content_block_delta": {
        if (data.index !== openIndex) throw new Error(`delta for ${String(data.index)} while ${String(openIndex)} is open`);
        const block = folded.blocks[folded.blocks.length - 1];
        const delta = asRecord(data.delta);
        if (block === undefined) throw new Error("delta without a block");
        if (delta.type === "text_delta") block.text += str(delta.text);
        else if (delta.type === "thinking_delta") block.thinking += str(delta.thinking);
        else if (delta.type === "signature_delta") block.signature = str(delta.signature);
        else if (delta.type === "input_json_delta") block.json += str(delta.partial_json);
        break;
      }
      case "content_block_stop":
        if (data.index !== openIndex) throw new Error(`stop for ${String(data.index)} while ${String(openIndex)} is open`);
        openIndex = undefined;
        break;
      case "message_delta":
        folded.messageDeltas.push(data);
        break;
      case "error":
        folded.errors.push(asRecord(data.error));
        break;
      default:
        break;
    }
  }
  return folded;
}
