// "Copy as curl": the client's request, sent again to this proxy. Redacted credentials become a
// shell variable the operator fills in.

import type { TraceDetail, WireFormat } from "../../api/types";

const PATHS: Record<WireFormat, string> = {
  chat: "/v1/chat/completions",
  responses: "/v1/responses",
  messages: "/v1/messages",
};

const SKIP = new Set(["host", "content-length", "connection", "accept-encoding", "transfer-encoding", "cookie", "x-request-id"]);
const CREDENTIALS = new Set(["authorization", "x-api-key", "api-key"]);

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function buildCurl(trace: Pick<TraceDetail, "clientFormat" | "clientRequest" | "stream">, origin: string): string {
  const parts = [`curl -s${trace.stream ? "N" : ""} ${quote(origin + PATHS[trace.clientFormat])}`];
  const headers = trace.clientRequest?.headers ?? {};
  let hasType = false;
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (SKIP.has(name)) continue;
    if (name === "content-type") hasType = true;
    if (CREDENTIALS.has(name)) {
      // Double quotes so the shell fills in the variable.
      parts.push(name === "authorization" ? `-H "authorization: Bearer $YALLMP_API_KEY"` : `-H "${name}: $YALLMP_API_KEY"`);
      continue;
    }
    parts.push(`-H ${quote(`${name}: ${value}`)}`);
  }
  if (!hasType) parts.push(`-H ${quote("content-type: application/json")}`);
  const body = trace.clientRequest?.body;
  parts.push(`-d ${quote(typeof body === "string" ? body : JSON.stringify(body ?? {}))}`);
  return parts.join(" \\\n  ");
}
