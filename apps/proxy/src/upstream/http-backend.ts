// Calls an HTTP upstream (OpenAI-compatible, native Responses or Anthropic) through undici's pooled
// keep-alive dispatcher. The endpoint path minus its `/v1` is appended to `api_base`, as yaLLMproxy does.

import type { Dispatcher } from "undici";
import { type AnthropicBetaEdit, codecs, editAnthropicBetas } from "@yallmproxy/translate";
import type { ModelRoute } from "../config/load-config.js";
import { type Backend, type UpstreamRequest, type UpstreamResponse, formatOfApiType } from "./types.js";
import { bodyByteLength } from "./body-bytes.js";
import { UpstreamCall } from "./upstream-call.js";

const PRECISE_TIMEOUT_BELOW_MS = 1000;

export class HttpBackend implements Backend {
  readonly format;
  private readonly authHeaders: Record<string, string>;
  private readonly origin: string;
  private readonly basePath: string;
  /** A query in `api_base` (Azure's `api-version`) goes after the endpoint path. */
  private readonly query: string;

  constructor(
    readonly route: ModelRoute,
    private readonly dispatcher: Dispatcher,
  ) {
    this.format = formatOfApiType(route.apiType);
    const base = new URL(route.apiBase);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, "");
    this.query = base.search;
    this.authHeaders = codecs[this.format].backendHeaders(route.apiKey || undefined);
    // A configured `anthropic_version` replaces the codec's default; a client's own header still wins.
    if (route.anthropicVersion && "anthropic-version" in this.authHeaders) this.authHeaders["anthropic-version"] = route.anthropicVersion;
  }

  send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: req.stream ? "text/event-stream" : "application/json",
      ...this.authHeaders,
      ...req.headers,
      ...this.route.headers,
    };
    if (this.route.anthropicBetas) editBetaHeader(headers, this.route.anthropicBetas);
    const raw = req.rawBody;
    // Pieces go out as undici's iterable body, which needs its length given.
    if (raw && !Buffer.isBuffer(raw)) headers["content-length"] = String(bodyByteLength(raw));
    const timeoutMs = this.route.timeoutMs;
    // undici's own timers tick once a second: exact enough from a second up, and free. Shorter
    // timeouts until the headers get a timer of ours.
    const precise = timeoutMs < PRECISE_TIMEOUT_BELOW_MS;
    const call = new UpstreamCall(req.cancel, this.route.name, req.stream ? "stream" : "body", timeoutMs);
    return call.start(
      this.dispatcher,
      {
        origin: this.origin,
        path: this.basePath + req.path + this.query,
        method: "POST",
        headers,
        // undici takes iterables (its documentation says so; its types do not).
        body: (raw as Buffer | undefined) ?? JSON.stringify(req.body),
        headersTimeout: precise ? 0 : timeoutMs,
        bodyTimeout: timeoutMs,
      },
      precise ? timeoutMs : undefined,
    );
  }

  async close(): Promise<void> {}
}

/** The route's `anthropic_betas` applied to the header, whatever the case of its name (client's or config's). */
function editBetaHeader(headers: Record<string, string>, edit: AnthropicBetaEdit): void {
  const values: string[] = [];
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() !== "anthropic-beta") continue;
    values.push(headers[name]!);
    delete headers[name];
  }
  const edited = editAnthropicBetas(values.join(","), edit);
  if (edited !== undefined) headers["anthropic-beta"] = edited;
}
