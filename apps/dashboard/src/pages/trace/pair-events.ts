// Lines the two streams up: each upstream event is paired with the client events the proxy wrote
// after it and before the next upstream event, so a row reads "this came in, this went out".

import type { TraceEvent } from "../../api/types";

export interface EventRow {
  upstream: TraceEvent | null;
  client: TraceEvent[];
}

/** One captured write can hold several SSE events; each becomes its own event at the same time. */
export function splitSseEvents(events: TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const e of events) {
    const blocks = e.data.split(/\r?\n\r?\n/).filter((b) => b.trim() !== "");
    if (blocks.length <= 1) out.push(blocks.length === 1 ? { t: e.t, data: blocks[0]! } : e);
    else for (const data of blocks) out.push({ t: e.t, data });
  }
  return out;
}

export function pairEvents(upstream: TraceEvent[], client: TraceEvent[]): EventRow[] {
  const ups = splitSseEvents(upstream).sort((a, b) => a.t - b.t);
  const outs = splitSseEvents(client).sort((a, b) => a.t - b.t);
  const rows: EventRow[] = [];
  let j = 0;
  // Client events written before the first upstream byte (e.g. `response.created`).
  const head: TraceEvent[] = [];
  while (j < outs.length && ups.length > 0 && outs[j]!.t < ups[0]!.t) head.push(outs[j++]!);
  if (head.length > 0) rows.push({ upstream: null, client: head });
  for (let i = 0; i < ups.length; i++) {
    const until = ups[i + 1]?.t ?? Number.POSITIVE_INFINITY;
    const mine: TraceEvent[] = [];
    while (j < outs.length && outs[j]!.t < until) mine.push(outs[j++]!);
    rows.push({ upstream: ups[i]!, client: mine });
  }
  if (j < outs.length) rows.push({ upstream: null, client: outs.slice(j) });
  return rows;
}

export interface ParsedEvent {
  name: string | null;
  data: string;
  isError: boolean;
}

/** Splits an SSE block (`event: x\ndata: {…}`) into its name and a compact data payload. */
export function parseEventBlock(block: string): ParsedEvent {
  let name: string | null = null;
  const data: string[] = [];
  const lines = block.split(/\r?\n/);
  const isSse = lines.some((l) => l.startsWith("data:") || l.startsWith("event:"));
  if (!isSse) return { name: null, data: compactJson(block), isError: looksLikeError(null, block) };
  for (const line of lines) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  const payload = data.join("\n");
  return { name, data: compactJson(payload), isError: looksLikeError(name, payload) };
}

function compactJson(text: string): string {
  const t = text.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return t;
  try {
    return JSON.stringify(JSON.parse(t));
  } catch {
    return t;
  }
}

function looksLikeError(name: string | null, payload: string): boolean {
  if (name === "error" || name === "response.failed") return true;
  return /^\s*\{\s*"(error|type"\s*:\s*"error)"/.test(payload);
}
