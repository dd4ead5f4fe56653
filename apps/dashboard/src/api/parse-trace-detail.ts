// Reads `GET /admin/traces/:id` defensively: a trace captured at a lower level leaves fields out,
// and the page should render whatever is there.

import { parseTraceSummary } from "./parse-live-message";
import type { TraceAttempt, TraceDetail, TraceEvent, TraceWarning } from "./types";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function events(v: unknown): TraceEvent[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((e) => ({ t: num(e.t) ?? 0, data: typeof e.data === "string" ? e.data : JSON.stringify(e.data) }));
}

function attempts(v: unknown): TraceAttempt[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((a, i) => ({
    backend: typeof a.backend === "string" ? a.backend : "?",
    attempt: num(a.attempt) ?? i,
    status: num(a.status),
    error: typeof a.error === "string" ? a.error : null,
    outcome: typeof a.outcome === "string" ? a.outcome : "unknown",
    durationMs: num(a.durationMs),
  }));
}

/** Structured warnings, and the `path: message` text older traces stored. */
export function parseWarnings(v: unknown): TraceWarning[] {
  if (!Array.isArray(v)) return [];
  return v.map((w): TraceWarning => {
    if (isObj(w))
      return {
        code: typeof w.code === "string" ? w.code : "uncoded",
        path: typeof w.path === "string" ? w.path : "",
        message: typeof w.message === "string" ? w.message : "",
      };
    const text = String(w);
    const at = text.indexOf(": ");
    return at < 0 ? { code: "uncoded", path: "", message: text } : { code: "uncoded", path: text.slice(0, at), message: text.slice(at + 2) };
  });
}

export function parseTraceDetail(raw: unknown): TraceDetail {
  const r: Obj = isObj(raw) ? raw : {};
  const list = attempts(r.attempts);
  const summary = parseTraceSummary({ ...r, attempts: list.length, state: r.state ?? "finished" });
  if (!summary) throw new Error("The trace answer is not a trace.");
  const t = isObj(r.timings) ? r.timings : null;
  const tr = isObj(r.truncated) ? r.truncated : {};
  const client = isObj(r.clientRequest) ? r.clientRequest : null;
  const upstream = isObj(r.upstreamRequest) ? r.upstreamRequest : null;
  const headers: Record<string, string> = {};
  if (client && isObj(client.headers)) for (const [k, v] of Object.entries(client.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
  const { progress: _progress, attempts: _count, ...rest } = summary;
  return {
    ...rest,
    attempts: list,
    timings: t
      ? {
          receivedAt: typeof t.receivedAt === "string" ? t.receivedAt : summary.startedAt,
          upstreamConnectedMs: num(t.upstreamConnectedMs),
          firstByteMs: num(t.firstByteMs),
          firstTokenMs: num(t.firstTokenMs),
          doneMs: num(t.doneMs),
        }
      : null,
    clientRequest: client ? { headers, body: client.body } : null,
    upstreamRequest: upstream ? { url: typeof upstream.url === "string" ? upstream.url : "", body: upstream.body } : null,
    upstreamEvents: events(r.upstreamEvents),
    clientEvents: events(r.clientEvents),
    warningList: parseWarnings(r.warningList),
    captureLevel: r.captureLevel === "off" || r.captureLevel === "metadata" ? r.captureLevel : "full",
    truncated: {
      clientRequest: tr.clientRequest === true,
      upstreamRequest: tr.upstreamRequest === true,
      upstreamEvents: tr.upstreamEvents === true,
      clientEvents: tr.clientEvents === true,
    },
  };
}
