// Calls an HTTP upstream (OpenAI-compatible, native Responses or Anthropic) through undici's pooled
// keep-alive dispatcher. The endpoint path minus its `/v1` is appended to `api_base`, as yaLLMproxy does.

import { type Dispatcher, request } from "undici";
import type { ModelRoute } from "../config/load-config.js";
import { type Backend, type UpstreamRequest, type UpstreamResponse, UpstreamError, formatOfApiType } from "./types.js";

const CONNECT_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);

const PRECISE_TIMEOUT_BELOW_MS = 1000;

export class HttpBackend implements Backend {
  readonly format;
  private readonly authHeaders: Record<string, string>;

  constructor(
    readonly route: ModelRoute,
    private readonly dispatcher: Dispatcher,
  ) {
    this.format = formatOfApiType(route.apiType);
    this.authHeaders = {};
    if (route.apiKey) {
      if (this.format === "messages") this.authHeaders["x-api-key"] = route.apiKey;
      else this.authHeaders.authorization = `Bearer ${route.apiKey}`;
    }
    if (this.format === "messages") this.authHeaders["anthropic-version"] = "2023-06-01";
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: req.stream ? "text/event-stream" : "application/json",
      ...this.authHeaders,
      ...req.headers,
      ...this.route.headers,
    };
    const url = this.route.apiBase + req.path;
    const body = JSON.stringify(req.body);
    const timeoutMs = this.route.timeoutMs;
    // undici's own timers tick once a second: exact enough from a second up, and free. Shorter
    // timeouts get a timer of ours.
    if (timeoutMs >= PRECISE_TIMEOUT_BELOW_MS) {
      try {
        const res = await request(url, { method: "POST", headers, body, dispatcher: this.dispatcher, signal: req.signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (err) {
        throw classifyUndiciError(err, this.route.name);
      }
    }
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, timeoutMs);
    const onClientAbort = () => attempt.abort();
    if (req.signal.aborted) attempt.abort();
    else req.signal.addEventListener("abort", onClientAbort, { once: true });
    try {
      const res = await request(url, { method: "POST", headers, body, dispatcher: this.dispatcher, signal: attempt.signal, headersTimeout: 0, bodyTimeout: timeoutMs });
      // The body stays tied to the attempt's signal, so a client leaving mid-stream still aborts it.
      res.body.once("close", () => req.signal.removeEventListener("abort", onClientAbort));
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      req.signal.removeEventListener("abort", onClientAbort);
      if (timedOut && !req.signal.aborted) {
        throw new UpstreamError("timeout", `upstream ${this.route.name} timed out after ${timeoutMs} ms`, err);
      }
      throw classifyUndiciError(err, this.route.name);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {}
}

export function classifyUndiciError(err: unknown, backend: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; name?: string; cause?: { code?: string }; message?: string };
  const code = e.code ?? e.cause?.code;
  if (e.name === "AbortError" || code === "UND_ERR_ABORTED") return new UpstreamError("aborted", "request aborted", err);
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new UpstreamError("timeout", `upstream ${backend} timed out`, err);
  }
  if (code && CONNECT_ERROR_CODES.has(code)) return new UpstreamError("connect", `upstream ${backend} unreachable (${code})`, err);
  return new UpstreamError("connect", `upstream ${backend} failed: ${e.message ?? String(err)}`, err);
}
