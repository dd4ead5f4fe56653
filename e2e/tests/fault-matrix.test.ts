// The fault matrix: every upstream fault of e2e/lib/faults.ts, for every client format (Chat, Responses
// with and without store, Messages) × stream/JSON × backend format (chat, Responses, Anthropic), through
// a real proxy to a real loopback upstream. Each cell checks the status, the client's own error format,
// and for a stream that already started, the format's error frame at its end (and that it ends).

import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULTS, type Fault, type Outcome, type Wire } from "../lib/faults.js";
import { type RunningProxy, type Upstream, startProxy, startUpstream } from "../lib/harness.js";
import { type SseFrameSeen, parseSse } from "../lib/scripted.js";

const API_TYPE: Record<Wire, string> = { chat: "openai", responses: "openai-responses", messages: "anthropic" };
const WIRES: Wire[] = ["chat", "responses", "messages"];
const WIRE_OF_PATH: Record<string, Wire> = {
  "/chat/completions": "chat",
  "/responses": "responses",
  "/messages": "messages",
  "/messages/count_tokens": "messages",
};

interface Client {
  name: string;
  wire: Wire;
  path: string;
  body(model: string, stream: boolean): Record<string, unknown>;
}

const CLIENTS: Client[] = [
  {
    name: "chat",
    wire: "chat",
    path: "/v1/chat/completions",
    body: (model, stream) => ({ model, stream, messages: [{ role: "user", content: "hi" }], ...(stream ? { stream_options: { include_usage: true } } : {}) }),
  },
  // store (the default): a Responses backend's answer is parsed and stored on its way through.
  { name: "responses", wire: "responses", path: "/v1/responses", body: (model, stream) => ({ model, stream, input: "hi" }) },
  { name: "responses store:false", wire: "responses", path: "/v1/responses", body: (model, stream) => ({ model, stream, input: "hi", store: false }) },
  {
    name: "messages",
    wire: "messages",
    path: "/v1/messages",
    body: (model, stream) => ({ model, stream, max_tokens: 64, messages: [{ role: "user", content: "hi" }] }),
  },
];

let up: Upstream;
let proxy: RunningProxy;

beforeAll(async () => {
  up = await startUpstream(async (req, res, index) => {
    const match = /^\/f(\d+)\/v1(\/.*)$/.exec(req.url);
    const fault = match ? FAULTS[Number(match[1])] : undefined;
    const wire = match ? WIRE_OF_PATH[match[2] as string] : undefined;
    if (!fault?.respond || !wire) {
      res.writeHead(404).end();
      return;
    }
    await fault.respond({ wire, stream: req.json?.stream === true, req, res, attempt: index });
  });
  const refusedPort = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
  const root = up.url.replace(/\/v1$/, "");
  const models = FAULTS.flatMap((fault, i) =>
    WIRES.map((wire) => {
      const base = fault.refused ? `http://127.0.0.1:${refusedPort}/v1` : `${root}/f${i}/v1`;
      return `  - { model_name: f${i}-${wire}, model_params: { api_type: ${API_TYPE[wire]}, api_base: "${base}", api_key: sk-up, request_timeout: ${fault.timeoutS ?? 10} } }`;
    }),
  );
  proxy = await startProxy(`
model_list:
${models.join("\n")}
router_settings: { num_retries: 1, retry_base_delay_ms: 1, retry_max_delay_ms: 5 }
proxy_settings:
  traces: { capture: full }
`);
});

afterAll(async () => {
  await proxy?.close();
  await up?.close();
});

interface Cell {
  client: Client;
  backend: Wire;
  stream: boolean;
}

const CELLS: Cell[] = CLIENTS.flatMap((client) => WIRES.flatMap((backend) => [false, true].map((stream) => ({ client, backend, stream }))));

const cellName = (c: Cell) => `${c.client.name} ${c.stream ? "stream" : "json"} on ${c.backend}`;

/** What is wrong with one cell's answer; empty when it is right. */
async function checkCell(index: number, fault: Fault, cell: Cell): Promise<string[]> {
  const passThrough = cell.client.wire === cell.backend;
  const outcome = fault.expect({ client: cell.client.wire, backend: cell.backend, stream: cell.stream, passThrough });
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${proxy.url}${cell.client.path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(cell.client.body(`f${index}-${cell.backend}`, cell.stream)),
      signal: AbortSignal.timeout(8000),
    });
    text = await res.text();
  } catch (err) {
    return [`no complete answer: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  const contentType = res.headers.get("content-type") ?? "";
  if (outcome.kind === "error") {
    if (res.status !== outcome.status) problems.push(`status ${res.status}, expected ${outcome.status}: ${text.slice(0, 300)}`);
    if (!contentType.startsWith("application/json")) problems.push(`content-type ${contentType}`);
    problems.push(...errorBodyProblems(cell.client.wire, text, outcome));
    for (const [name, value] of Object.entries(outcome.headers ?? {})) {
      if (res.headers.get(name) !== value) problems.push(`header ${name}: ${res.headers.get(name)}, expected ${value}`);
    }
    return problems;
  }
  if (res.status !== 200) return [`status ${res.status}, expected 200: ${text.slice(0, 300)}`];
  if (outcome.kind === "stream_error") {
    if (!contentType.startsWith("text/event-stream")) return [`content-type ${contentType}`];
    return streamErrorProblems(cell.client.wire, parseSse(text), outcome.message);
  }
  return answerProblems(cell, outcome.finish, text);
}

/** Either wire format's error body, as far as these checks read it. */
interface ErrorBody {
  type?: unknown;
  error?: { type?: unknown; message?: unknown; param?: unknown; code?: unknown } | null;
}

/** An answer's fields these checks read, in any of the three formats. */
interface AnswerBody {
  status?: string;
  stop_reason?: string;
  choices?: Array<{ finish_reason?: string }>;
}

function errorBodyProblems(wire: Wire, text: string, outcome: Extract<Outcome, { kind: "error" }>): string[] {
  let body: ErrorBody | undefined;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    return [`body is not JSON: ${text.slice(0, 200)}`];
  }
  let message: unknown;
  if (wire === "messages") {
    if (body?.type !== "error" || typeof body.error?.type !== "string") return [`not an Anthropic error: ${text.slice(0, 200)}`];
    message = body.error.message;
  } else {
    const e = body?.error;
    if (typeof e !== "object" || e === null || typeof e.type !== "string" || !("param" in e) || !("code" in e))
      return [`not an OpenAI error: ${text.slice(0, 200)}`];
    message = e.message;
    if (outcome.code && e.code !== outcome.code) return [`code ${e.code}, expected ${outcome.code}: ${e.message}`];
  }
  if (typeof message !== "string" || message === "") return [`no error message: ${text.slice(0, 200)}`];
  if (outcome.message && !outcome.message.test(message)) return [`message "${message}" does not match ${outcome.message}`];
  return [];
}

function streamErrorProblems(wire: Wire, frames: SseFrameSeen[], expected: RegExp | undefined): string[] {
  const last = frames.at(-1);
  if (!last) return ["empty stream"];
  let message: unknown;
  if (wire === "chat") {
    if (typeof last.json?.error !== "object") return [`last chunk is not an error chunk: ${last.data.slice(0, 200)}`];
    message = last.json.error.message;
  } else if (wire === "messages") {
    if (last.event !== "error" || last.json?.type !== "error" || typeof last.json.error?.type !== "string")
      return [`last event is not an error event: ${last.event} ${last.data.slice(0, 200)}`];
    message = last.json.error.message;
  } else {
    const error = frames.at(-2);
    if (last.event !== "response.failed" || last.json?.response?.status !== "failed")
      return [`last event is not response.failed: ${last.event} ${last.data.slice(0, 200)}`];
    if (error?.event !== "error" || typeof error.json?.sequence_number !== "number")
      return [`no error event with a sequence_number before response.failed: ${error?.data.slice(0, 200)}`];
    // An upstream's unparseable event, relayed as it came, has no number to check.
    const numbers = frames.filter((f) => f.json !== undefined).map((f) => f.json.sequence_number);
    const first = numbers[0];
    if (typeof first !== "number" || numbers.some((n, i) => n !== first + i)) return [`sequence numbers not contiguous: ${numbers.join(",")}`];
    message = error.json.message;
  }
  if (typeof message !== "string" || message === "") return ["error frame has no message"];
  if (expected && !expected.test(message)) return [`error message "${message}" does not match ${expected}`];
  return [];
}

function answerProblems(cell: Cell, finish: "stop" | "length" | "failed", text: string): string[] {
  const wire = cell.client.wire;
  const responsesStatus = { stop: "completed", length: "incomplete", failed: "failed" }[finish];
  const chatFinish = { stop: "stop", length: "length", failed: undefined }[finish];
  const messagesStop = { stop: "end_turn", length: "max_tokens", failed: undefined }[finish];
  if (wire !== "responses" && finish === "failed") return ["a failed answer expected only for Responses clients"];
  if (!cell.stream) {
    const body = JSON.parse(text) as AnswerBody;
    if (wire === "responses") return body.status === responsesStatus ? [] : [`status ${body.status}, expected ${responsesStatus}`];
    const got = wire === "chat" ? body.choices?.[0]?.finish_reason : body.stop_reason;
    const want = wire === "chat" ? chatFinish : messagesStop;
    return got === want ? [] : [`finish ${got}, expected ${want}`];
  }
  const frames = parseSse(text);
  const last = frames.at(-1);
  const terminals = frames.filter(
    (f) => /^(response\.(completed|incomplete|failed)|error|message_stop)$/.test(f.event ?? "") || f.data === "[DONE]" || f.json?.error,
  );
  if (terminals.length !== 1) return [`${terminals.length} terminal or error events: ${terminals.map((f) => f.event ?? f.data.slice(0, 60)).join(", ")}`];
  if (wire === "responses") return last?.event === `response.${responsesStatus}` ? [] : [`last event ${last?.event}, expected response.${responsesStatus}`];
  if (wire === "chat") {
    if (last?.data !== "[DONE]") return [`last chunk ${last?.data.slice(0, 100)}, expected [DONE]`];
    return frames.some((f) => f.json?.choices?.[0]?.finish_reason === chatFinish) ? [] : [`no finish_reason ${chatFinish}`];
  }
  if (last?.event !== "message_stop") return [`last event ${last?.event}, expected message_stop`];
  return frames.some((f) => f.json?.delta?.stop_reason === messagesStop) ? [] : [`no stop_reason ${messagesStop}`];
}

describe("fault matrix", () => {
  it.each(FAULTS.map((fault, index) => [fault.name, index, fault] as const))("%s: every client format, mode and backend", async (_name, index, fault) => {
    const results = await Promise.all(CELLS.map(async (cell) => ({ cell, problems: await checkCell(index, fault, cell) })));
    const failing = results.filter((r) => r.problems.length > 0).map((r) => `${cellName(r.cell)}: ${r.problems.join("; ")}`);
    expect(failing.length, `\n${failing.join("\n")}`).toBe(0);
  });
});

describe("count_tokens forwarded to an Anthropic backend", () => {
  // The faults whose JSON answer is an error: count_tokens must give the same one, in Anthropic's format.
  const cases = FAULTS.map(
    (fault, index) => [fault.name, index, fault.expect({ client: "messages", backend: "messages", stream: false, passThrough: true })] as const,
  ).filter((c): c is readonly [string, number, Extract<Outcome, { kind: "error" }>] => c[2].kind === "error");
  it.each(cases)("%s", async (_name, index, outcome) => {
    const res = await fetch(`${proxy.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: `f${index}-messages`, messages: [{ role: "user", content: "hi" }] }),
      signal: AbortSignal.timeout(8000),
    });
    const text = await res.text();
    const problems = [
      ...(res.status === outcome.status ? [] : [`status ${res.status}, expected ${outcome.status}: ${text.slice(0, 200)}`]),
      ...errorBodyProblems("messages", text, outcome),
    ];
    for (const [name, value] of Object.entries(outcome.headers ?? {})) {
      if (res.headers.get(name) !== value) problems.push(`header ${name}: ${res.headers.get(name)}, expected ${value}`);
    }
    expect(problems).toEqual([]);
  });
});
