// Validates one frame of the live feed (`/admin/ws`); anything malformed becomes null and is ignored.

import type { TraceSummary } from "./types";

export type LiveMessage =
  | { type: "hello"; serverTime: string }
  | { type: "request.started"; trace: TraceSummary }
  | { type: "request.finished"; trace: TraceSummary }
  | { type: "request.progress"; id: string; chunks: number; completionTokens: number | null; elapsedMs: number }
  | { type: "dropped"; count: number };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === "string" ? v : null);
const FORMATS = new Set(["chat", "responses", "messages"]);

export function parseTraceSummary(v: unknown): TraceSummary | null {
  if (!isObj(v)) return null;
  if (typeof v.id !== "string" || typeof v.startedAt !== "string" || typeof v.model !== "string") return null;
  if (v.state !== "running" && v.state !== "finished") return null;
  const clientFormat = typeof v.clientFormat === "string" && FORMATS.has(v.clientFormat) ? (v.clientFormat as TraceSummary["clientFormat"]) : "chat";
  const backendFormat = typeof v.backendFormat === "string" && FORMATS.has(v.backendFormat) ? (v.backendFormat as TraceSummary["clientFormat"]) : null;
  return {
    id: v.id,
    startedAt: v.startedAt,
    model: v.model,
    keyId: strOrNull(v.keyId),
    clientFormat,
    backend: strOrNull(v.backend),
    backendFormat,
    stream: v.stream === true,
    status: numOrNull(v.status),
    state: v.state,
    attempts: numOrNull(v.attempts) ?? 0,
    ttftMs: numOrNull(v.ttftMs),
    durationMs: numOrNull(v.durationMs),
    promptTokens: numOrNull(v.promptTokens),
    completionTokens: numOrNull(v.completionTokens),
    error: strOrNull(v.error),
    warnings: numOrNull(v.warnings) ?? 0,
    finishReason: strOrNull(v.finishReason),
    toolCalls: numOrNull(v.toolCalls) ?? 0,
  };
}

export function parseLiveMessage(text: string): LiveMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(v) || typeof v.type !== "string") return null;
  switch (v.type) {
    case "hello":
      return { type: "hello", serverTime: strOrNull(v.serverTime) ?? "" };
    case "request.started":
    case "request.finished": {
      const trace = parseTraceSummary(v.trace);
      return trace ? { type: v.type, trace } : null;
    }
    case "request.progress":
      if (typeof v.id !== "string") return null;
      return {
        type: "request.progress",
        id: v.id,
        chunks: numOrNull(v.chunks) ?? 0,
        completionTokens: numOrNull(v.completionTokens),
        elapsedMs: numOrNull(v.elapsedMs) ?? 0,
      };
    case "dropped":
      return { type: "dropped", count: numOrNull(v.count) ?? 0 };
    default:
      return null;
  }
}
