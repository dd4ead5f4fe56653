// OpenTelemetry export against a real OTLP/HTTP JSON receiver on loopback: GenAI spans for
// pass-through, translated and streamed requests and for failovers, the client's trace context
// continued and passed upstream, the GenAI metrics, and a receiver that is down.

import { once } from "node:events";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatChunk, chatCompletion, sendJson, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number; message?: string };
}
interface ExportedSpan extends OtlpSpan {
  attrs: Record<string, unknown>;
  service: unknown;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  histogram?: { dataPoints?: Array<{ attributes?: OtlpAttribute[]; count?: number | string; sum?: number }> };
}

const SERVER = 2;
const CLIENT = 3;

function valueOf(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

function attrsOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));
}

/** An OTLP/HTTP receiver that decodes the JSON the exporters send. */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; metrics: OtlpMetric[]; contentTypes: Set<string>; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const metrics: OtlpMetric[] = [];
  const contentTypes = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      contentTypes.add(String(req.headers["content-type"]));
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
        resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: OtlpMetric[] }> }>;
      };
      if (req.url === "/v1/traces") {
        for (const rs of body.resourceSpans ?? []) {
          const service = attrsOf(rs.resource?.attributes)["service.name"];
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, attrs: attrsOf(s.attributes), service });
        }
      } else if (req.url === "/v1/metrics") {
        for (const rm of body.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) metrics.push(...(sm.metrics ?? []));
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    contentTypes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const FAST_EXPORT = {
  OTEL_BSP_SCHEDULE_DELAY: "50",
  OTEL_METRIC_EXPORT_INTERVAL: "200",
  OTEL_METRIC_EXPORT_TIMEOUT: "150",
  OTEL_EXPORTER_OTLP_TIMEOUT: "1000",
};

async function until<T>(what: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(25);
  }
}

async function setup(): Promise<{ p: RunningProxy; up: Upstream; down: Upstream; rx: Awaited<ReturnType<typeof startReceiver>> }> {
  const rx = await startReceiver();
  cleanup.push(rx.close);
  const up = await startUpstream((req, res) => {
    if (req.json?.stream === true) {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "hel" }, { id: "chatcmpl-stream", model: "up-model-2026" }));
      res.write(chatChunk({ content: "lo" }, { finish: "stop", id: "chatcmpl-stream", model: "up-model-2026" }));
      res.write(
        `data: ${JSON.stringify({ id: "chatcmpl-stream", object: "chat.completion.chunk", model: "up-model-2026", choices: [], usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
      return;
    }
    if (req.url.endsWith("/embeddings")) {
      sendJson(res, 200, {
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
        model: "up-embed",
        usage: { prompt_tokens: 4, total_tokens: 4 },
      });
      return;
    }
    sendJson(res, 200, chatCompletion("hello", { model: "up-model-2026", usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } }));
  });
  cleanup.push(up.close);
  const down = await startUpstream((_req, res) => sendJson(res, 503, { error: { message: "overloaded", type: "server_error" } }));
  cleanup.push(down.close);
  const p = await startProxy(
    `
model_list:
  - model_name: gpt-t
    model_params: { api_type: openai, api_base: ${up.url}, model: real-model }
  - model_name: flaky
    model_params: { api_type: openai, api_base: ${down.url}, model: flaky-model }
router_settings:
  num_retries: 0
  fallbacks:
    - flaky: [gpt-t]
`,
    { ...FAST_EXPORT, OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_SERVICE_NAME: "proxy-under-test" },
  );
  cleanup.push(p.close);
  return { p, up, down, rx };
}

function post(p: RunningProxy, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${p.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

const serverSpan = (spans: ExportedSpan[], requestId: string) => spans.find((s) => s.kind === SERVER && s.attrs["yallmproxy.request_id"] === requestId);
const clientSpans = (spans: ExportedSpan[], parent: ExportedSpan) => spans.filter((s) => s.kind === CLIENT && s.parentSpanId === parent.spanId);

describe("OpenTelemetry export over OTLP/HTTP", () => {
  it("exports a server span and a client span with the GenAI attributes for a chat pass-through", async () => {
    const { p, rx } = await setup();
    const res = await post(p, "/v1/chat/completions", { model: "gpt-t", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    await res.json();
    const id = res.headers.get("x-request-id")!;
    const server = await until(() => serverSpan(rx.spans, id));
    const [client] = await until(() => (clientSpans(rx.spans, server).length ? clientSpans(rx.spans, server) : undefined));
    expect(rx.contentTypes).toEqual(new Set(["application/json"]));
    expect(server.service).toBe("proxy-under-test");
    expect(server.name).toBe("chat gpt-t");
    expect(server.attrs).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-t",
      "gen_ai.response.model": "up-model-2026",
      "gen_ai.response.id": "chatcmpl-up",
      "gen_ai.usage.input_tokens": 7,
      "gen_ai.usage.output_tokens": 2,
      "gen_ai.response.finish_reasons": ["stop"],
      "http.response.status_code": 200,
      "yallmproxy.client_format": "chat",
      "yallmproxy.backend": "gpt-t",
    });
    expect(client!.traceId).toBe(server.traceId);
    expect(client!.name).toBe("chat real-model");
    expect(client!.attrs).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.system": "openai",
      "gen_ai.request.model": "real-model",
      "gen_ai.response.model": "up-model-2026",
      "gen_ai.usage.input_tokens": 7,
      "gen_ai.usage.output_tokens": 2,
      "server.address": "127.0.0.1",
      "http.response.status_code": 200,
      "yallmproxy.request_id": id,
    });
  });

  it("names an embeddings request's spans by their own operation", async () => {
    const { p, rx } = await setup();
    const res = await post(p, "/v1/embeddings", { model: "gpt-t", input: "hi" });
    expect(res.status).toBe(200);
    await res.json();
    const id = res.headers.get("x-request-id")!;
    const server = await until(() => serverSpan(rx.spans, id));
    const [client] = await until(() => (clientSpans(rx.spans, server).length ? clientSpans(rx.spans, server) : undefined));
    expect(server.name).toBe("embeddings gpt-t");
    expect(server.attrs["gen_ai.operation.name"]).toBe("embeddings");
    expect(client!.name).toBe("embeddings real-model");
    expect(client!.attrs["gen_ai.operation.name"]).toBe("embeddings");
  });

  it("continues the client's traceparent and passes the attempt's own upstream", async () => {
    const { p, up, rx } = await setup();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await post(
      p,
      "/v1/chat/completions",
      { model: "gpt-t", messages: [{ role: "user", content: "hi" }] },
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    );
    await res.json();
    const server = await until(() => serverSpan(rx.spans, res.headers.get("x-request-id")!));
    expect(server.traceId).toBe(traceId);
    expect(server.parentSpanId).toBe("00f067aa0ba902b7");
    const [client] = await until(() => (clientSpans(rx.spans, server).length ? clientSpans(rx.spans, server) : undefined));
    expect(up.requests[0]!.headers.traceparent).toBe(`00-${traceId}-${client!.spanId}-01`);
  });

  it("exports a translated Messages request and a stream with their usage", async () => {
    const { p, up, rx } = await setup();
    const msg = await post(p, "/v1/messages", { model: "gpt-t", max_tokens: 20, messages: [{ role: "user", content: "hi" }] });
    expect(msg.status).toBe(200);
    await msg.json();
    const stream = await post(p, "/v1/chat/completions", { model: "gpt-t", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(await stream.text()).toContain("[DONE]");
    const m = await until(() => serverSpan(rx.spans, msg.headers.get("x-request-id")!));
    expect(m.attrs).toMatchObject({
      "yallmproxy.client_format": "messages",
      "gen_ai.usage.input_tokens": 7,
      "gen_ai.usage.output_tokens": 2,
      "gen_ai.response.model": "up-model-2026",
    });
    expect(up.requests[0]!.url).toBe("/v1/chat/completions");
    const s = await until(() => serverSpan(rx.spans, stream.headers.get("x-request-id")!));
    expect(s.attrs).toMatchObject({
      "yallmproxy.stream": true,
      "gen_ai.usage.input_tokens": 11,
      "gen_ai.usage.output_tokens": 3,
      "gen_ai.response.id": "chatcmpl-stream",
    });
    const [client] = await until(() => (clientSpans(rx.spans, s).length ? clientSpans(rx.spans, s) : undefined));
    expect(client!.attrs).toMatchObject({ "gen_ai.usage.output_tokens": 3, "gen_ai.response.model": "up-model-2026" });
  });

  it("shows a failover as two client spans: the refused attempt and the fallback that answered", async () => {
    const { p, down, up, rx } = await setup();
    const res = await post(p, "/v1/chat/completions", { model: "flaky", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    await res.json();
    const server = await until(() => serverSpan(rx.spans, res.headers.get("x-request-id")!));
    const attempts = await until(() => (clientSpans(rx.spans, server).length === 2 ? clientSpans(rx.spans, server) : undefined));
    const failed = attempts.find((a) => a.attrs["yallmproxy.backend"] === "flaky")!;
    const answered = attempts.find((a) => a.attrs["yallmproxy.backend"] === "gpt-t")!;
    expect(failed.attrs).toMatchObject({
      "http.response.status_code": 503,
      "error.type": "503",
      "yallmproxy.attempt.outcome": "fallback",
      "gen_ai.request.model": "flaky-model",
    });
    expect(failed.status?.code).toBe(2);
    expect(answered.attrs).toMatchObject({ "http.response.status_code": 200, "yallmproxy.attempt.outcome": "answered", "gen_ai.usage.output_tokens": 2 });
    expect(server.attrs).toMatchObject({ "yallmproxy.attempts": 2, "yallmproxy.backend": "gpt-t", "gen_ai.request.model": "flaky" });
    // Each attempt carried its own span's context upstream.
    expect(down.requests[0]!.headers.traceparent).toBe(`00-${server.traceId}-${failed.spanId}-01`);
    expect(up.requests[0]!.headers.traceparent).toBe(`00-${server.traceId}-${answered.spanId}-01`);
  });

  it("exports the GenAI token usage and duration histograms", async () => {
    const { p, rx } = await setup();
    await (await post(p, "/v1/chat/completions", { model: "gpt-t", messages: [{ role: "user", content: "hi" }] })).json();
    const byName = (name: string) => rx.metrics.filter((m) => m.name === name);
    const usage = await until(() => (byName("gen_ai.client.token.usage").length ? byName("gen_ai.client.token.usage") : undefined));
    const points = usage.flatMap((m) => m.histogram?.dataPoints ?? []).map((d) => ({ ...attrsOf(d.attributes), sum: d.sum }));
    expect(points).toContainEqual(
      expect.objectContaining({ "gen_ai.token.type": "input", "gen_ai.request.model": "real-model", "gen_ai.provider.name": "openai", sum: 7 }),
    );
    expect(points).toContainEqual(expect.objectContaining({ "gen_ai.token.type": "output", sum: 2 }));
    const duration = await until(() => (byName("gen_ai.client.operation.duration").length ? byName("gen_ai.client.operation.duration") : undefined));
    expect(duration[0]!.unit).toBe("s");
    expect(byName("gen_ai.server.request.duration").length).toBeGreaterThan(0);
  });

  it("keeps serving, promptly, with the receiver down, and logs the failure", async () => {
    const rx = await startReceiver();
    const deadUrl = rx.url;
    await rx.close();
    const up = await startUpstream((_req, res) => sendJson(res, 200, chatCompletion("hello")));
    cleanup.push(up.close);
    const p = await startProxy(`model_list:\n  - model_name: gpt-t\n    model_params: { api_type: openai, api_base: ${up.url} }\n`, {
      ...FAST_EXPORT,
      OTEL_EXPORTER_OTLP_ENDPOINT: deadUrl,
    });
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const res = await post(p, "/v1/chat/completions", { model: "gpt-t", messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(200);
      await res.json();
      expect(performance.now() - started).toBeLessThan(1000);
    }
    await until(() => (p.logText().includes("OTLP") ? true : undefined), 8000);
    const lines = p.logs().filter((l) => JSON.stringify(l).includes("OTLP"));
    // At most one line a minute per the throttle, however many exports failed; each one is counted.
    expect(lines.length).toBe(1);
    let failed = 0;
    for (let i = 0; i < 100 && failed < 2; i++) {
      const text = await (await fetch(`${p.url}/metrics`)).text();
      failed = Number(/yallmp_background_errors_total\{task="otel_export"\} (\d+)/.exec(text)?.[1] ?? 0);
      if (failed < 2) await sleep(50);
    }
    expect(failed).toBeGreaterThanOrEqual(2);
    expect(p.logs().filter((l) => JSON.stringify(l).includes("OTLP")).length).toBe(1);
    const closing = performance.now();
    await p.close();
    expect(performance.now() - closing).toBeLessThan(7000);
  });

  it("keeps serving with a receiver that accepts and never answers, and closes within its bound", async () => {
    const held: Array<import("node:http").ServerResponse> = [];
    const stuck = createServer((_req, res) => held.push(res));
    stuck.listen(0, "127.0.0.1");
    await once(stuck, "listening");
    cleanup.push(async () => {
      stuck.closeAllConnections();
      await new Promise<void>((r) => stuck.close(() => r()));
    });
    const up = await startUpstream((_req, res) => sendJson(res, 200, chatCompletion("hello")));
    cleanup.push(up.close);
    const url = `http://127.0.0.1:${(stuck.address() as AddressInfo).port}`;
    const p = await startProxy(`model_list:\n  - model_name: gpt-t\n    model_params: { api_type: openai, api_base: ${up.url} }\n`, {
      ...FAST_EXPORT,
      OTEL_EXPORTER_OTLP_TIMEOUT: "3000",
      OTEL_EXPORTER_OTLP_ENDPOINT: url,
    });
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const res = await post(p, "/v1/chat/completions", { model: "gpt-t", messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(200);
      await res.json();
      expect(performance.now() - started).toBeLessThan(1000);
    }
    await until(() => (held.length > 0 ? true : undefined));
    const closing = performance.now();
    await p.close();
    expect(performance.now() - closing).toBeLessThan(7000);
  });
});
