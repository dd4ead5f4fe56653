// Test helpers: read recorded fixtures, split SSE text with the real parser (eventsource-parser),
// and run frames/events through decoders and encoders.

import { readFileSync } from "node:fs";
import { createParser } from "eventsource-parser";
import type { SseFrame, StreamDecoder, StreamEncoder } from "../../codec.js";
import type { StreamEvent } from "../../ir.js";

export function readFixture(name: string): string {
  return readFileSync(new URL(`../../__fixtures__/${name}`, import.meta.url), "utf8");
}

/** One JSON payload per line -> SSE with `event:` lines, as the Responses wire carries it. */
export function jsonlToSse(jsonl: string): string {
  return jsonl
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const payload = JSON.parse(line) as { type?: unknown };
      return `event: ${String(payload.type)}\ndata: ${line}\n\n`;
    })
    .join("");
}

/** Splits SSE text into frames with the real parser; `chunkSize` feeds it in pieces like a socket would. */
export function parseSse(text: string, chunkSize = 7): SseFrame[] {
  const frames: SseFrame[] = [];
  const parser = createParser({
    onEvent(message) {
      frames.push(message.event !== undefined ? { event: message.event, data: message.data } : { data: message.data });
    },
  });
  for (let i = 0; i < text.length; i += chunkSize) parser.feed(text.slice(i, i + chunkSize));
  return frames;
}

export function decodeAll(decoder: StreamDecoder, frames: readonly SseFrame[], callEnd = true): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const frame of frames) events.push(...decoder.push(frame));
  if (callEnd) events.push(...decoder.end());
  return events;
}

export function encodeAll(encoder: StreamEncoder, events: readonly StreamEvent[], callEnd = true): string {
  let text = "";
  for (const event of events) text += encoder.push(event);
  if (callEnd) text += encoder.end();
  return text;
}

/** Parsed `data:` payloads of SSE text (skipping `[DONE]`), with their event names. */
export function sseEvents(text: string): { event: string | undefined; data: Record<string, unknown> }[] {
  return parseSse(text, 1 << 20)
    .filter((f) => f.data !== "[DONE]")
    .map((f) => ({ event: f.event, data: JSON.parse(f.data) as Record<string, unknown> }));
}
