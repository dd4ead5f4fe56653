// The upstream faults of the fault matrix, as data: each one says how a loopback upstream of any wire
// format misbehaves, for streaming and for JSON requests, and what every client must get for it.

import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { RecordedRequest } from "./harness.js";
import { sleep } from "./harness.js";

export type Wire = "chat" | "responses" | "messages";

/** A valid answer of each wire format, whole, streamed, and cut before its end. */
interface WireAnswer {
  json: Record<string, unknown>;
  frames: string[];
  /** The first frames only: no finish, no terminal event. */
  partialFrames: string[];
}

const sse = (event: string | undefined, data: Record<string, unknown>): string => `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`;

function chatAnswer(): WireAnswer {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    sse(undefined, {
      id: "chatcmpl-up",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "up",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  const partial = [chunk({ role: "assistant", content: "" }), chunk({ content: "hel" })];
  return {
    json: {
      id: "chatcmpl-up",
      object: "chat.completion",
      created: 1700000000,
      model: "up",
      choices: [{ index: 0, message: { role: "assistant", content: "hello", refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    },
    frames: [
      ...partial,
      chunk({ content: "lo" }),
      chunk({}, "stop"),
      sse(undefined, {
        id: "chatcmpl-up",
        object: "chat.completion.chunk",
        created: 1700000000,
        model: "up",
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      }),
      "data: [DONE]\n\n",
    ],
    partialFrames: partial,
  };
}

const RESPONSE_BASE = {
  id: "resp_up1",
  object: "response",
  created_at: 1765552659,
  model: "up",
  error: null,
  incomplete_details: null,
  tools: [],
  parallel_tool_calls: true,
  tool_choice: "auto",
  metadata: {},
};
const USAGE_RESPONSES = { input_tokens: 5, output_tokens: 2, total_tokens: 7 };

function responsesEvents(final: Record<string, unknown>, text: string, terminal: string): { events: Array<Record<string, unknown>>; partialCount: number } {
  const item = { id: "msg_up1", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] };
  const events: Array<Record<string, unknown>> = [
    { type: "response.created", response: { ...RESPONSE_BASE, status: "in_progress", output: [], usage: null } },
    { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } },
    { type: "response.content_part.added", item_id: "msg_up1", output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } },
    { type: "response.output_text.delta", item_id: "msg_up1", output_index: 0, content_index: 0, delta: text },
    { type: "response.output_text.done", item_id: "msg_up1", output_index: 0, content_index: 0, text },
    { type: "response.content_part.done", item_id: "msg_up1", output_index: 0, content_index: 0, part: item.content[0] },
    { type: "response.output_item.done", output_index: 0, item },
    { type: terminal, response: final },
  ];
  return { events: events.map((e, i) => ({ ...e, sequence_number: i })), partialCount: 4 };
}

function responsesAnswer(status = "completed", extra: Record<string, unknown> = {}): WireAnswer {
  const item = { id: "msg_up1", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "hello", annotations: [] }] };
  const final = { ...RESPONSE_BASE, status, output: [item], usage: USAGE_RESPONSES, ...extra };
  const { events, partialCount } = responsesEvents(final, "hello", `response.${status}`);
  const frames = events.map((e) => sse(String(e.type), e));
  return { json: final, frames, partialFrames: frames.slice(0, partialCount) };
}

function messagesAnswer(stopReason = "end_turn"): WireAnswer {
  const message = {
    id: "msg_up1",
    type: "message",
    role: "assistant",
    model: "up",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 1 },
  };
  const partial = [
    sse("message_start", { type: "message_start", message }),
    sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hel" } }),
  ];
  return {
    json: { ...message, content: [{ type: "text", text: "hello" }], stop_reason: stopReason, usage: { input_tokens: 5, output_tokens: 2 } },
    frames: [
      ...partial,
      sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } }),
      sse("content_block_stop", { type: "content_block_stop", index: 0 }),
      sse("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 2 } }),
      sse("message_stop", { type: "message_stop" }),
    ],
    partialFrames: partial,
  };
}

export function answerOf(wire: Wire): WireAnswer {
  return wire === "chat" ? chatAnswer() : wire === "responses" ? responsesAnswer() : messagesAnswer();
}

/** The wire's own error body, as that kind of server sends it with a 4xx/5xx. */
function errorBodyOf(wire: Wire, status: number, message: string): Record<string, unknown> {
  if (wire === "messages")
    return { type: "error", error: { type: status === 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error", message } };
  return { error: { message, type: status >= 500 ? "server_error" : "invalid_request_error", param: null, code: null } };
}

/** What a client must get for a fault: an error answer, an error at the end of a started stream, or an answer. */
export type Outcome =
  | { kind: "error"; status: number; code?: string; message?: RegExp; headers?: Record<string, string> }
  | { kind: "stream_error"; message?: RegExp }
  | { kind: "answer"; finish: "stop" | "length" | "failed" };

interface FaultContext {
  wire: Wire;
  stream: boolean;
  req: RecordedRequest;
  res: ServerResponse;
  /** How many times this fault's upstream was called for this cell (retries count). */
  attempt: number;
}

export interface Fault {
  name: string;
  /** The backends' request_timeout for this fault (short only where the fault is a stall). */
  timeoutS?: number;
  /** Points the backend at a closed port instead of the scripted upstream. */
  refused?: boolean;
  respond?(ctx: FaultContext): void | Promise<void>;
  expect(cell: { client: Wire; backend: Wire; stream: boolean; passThrough: boolean }): Outcome;
}

const destroy = (res: ServerResponse) => (res.socket as Socket | null)?.destroy();

async function writeFrames(res: ServerResponse, frames: string[]): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const f of frames) {
    res.write(f);
    await sleep(2);
  }
}

/** A 200 JSON-ish body the upstream labels as `contentType`, whatever was asked. */
function okBody(res: ServerResponse, body: string, contentType = "application/json"): void {
  res.writeHead(200, { "content-type": contentType, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

/** The stall faults' request_timeout, and their stall: far longer, and still short for a test. */
const STALL_TIMEOUT_S = 0.5;
const STALL_MS = 2500;

export const FAULTS: Fault[] = [
  {
    name: "connect refused",
    refused: true,
    expect: () => ({ kind: "error", status: 502, code: "upstream_unreachable", message: /could not be reached/ }),
  },
  {
    name: "reset before headers",
    respond: ({ res }) => destroy(res),
    expect: () => ({ kind: "error", status: 502, code: "upstream_unreachable", message: /closed the connection without answering/ }),
  },
  {
    name: "stall before headers",
    timeoutS: STALL_TIMEOUT_S,
    respond: async ({ res }) => {
      await sleep(STALL_MS);
      res.destroy();
    },
    expect: () => ({ kind: "error", status: 504, code: "upstream_timeout" }),
  },
  {
    name: "5xx after retries",
    respond: ({ wire, res }) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify(errorBodyOf(wire, 503, "the upstream is overloaded")));
    },
    expect: () => ({ kind: "error", status: 503, message: /the upstream is overloaded/ }),
  },
  {
    name: "429 with Retry-After",
    respond: ({ wire, res }) => {
      // Longer than the proxy waits for a retry: it gives up at once and passes the wait on.
      res.writeHead(429, { "content-type": "application/json", "retry-after": "120" });
      res.end(JSON.stringify(errorBodyOf(wire, 429, "slow down")));
    },
    expect: () => ({ kind: "error", status: 429, message: /slow down/, headers: { "retry-after": "120" } }),
  },
  {
    name: "429 with retry-after-ms",
    respond: ({ wire, res }) => {
      res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "20" });
      res.end(JSON.stringify(errorBodyOf(wire, 429, "slow down")));
    },
    expect: () => ({ kind: "error", status: 429, message: /slow down/, headers: { "retry-after-ms": "20" } }),
  },
  {
    name: "4xx with a body",
    respond: ({ wire, res }) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify(errorBodyOf(wire, 400, "temperature: bad value")));
    },
    expect: () => ({ kind: "error", status: 400, message: /temperature: bad value/ }),
  },
  {
    name: "200 with an HTML body",
    respond: ({ res }) => okBody(res, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    expect: () => ({ kind: "error", status: 502, code: "upstream_bad_response", message: /text\/html/ }),
  },
  {
    name: "200 with an empty body",
    respond: ({ res }) => okBody(res, ""),
    expect: () => ({ kind: "error", status: 502, code: "upstream_bad_response", message: /empty/ }),
  },
  {
    name: "200 with invalid JSON",
    respond: ({ res }) => okBody(res, "Internal Server Error"),
    expect: () => ({ kind: "error", status: 502, code: "upstream_bad_response", message: /not JSON/ }),
  },
  {
    name: "200 with truncated JSON",
    respond: ({ wire, res }) => {
      const whole = JSON.stringify(answerOf(wire).json);
      okBody(res, whole.slice(0, Math.floor(whole.length / 2)));
    },
    expect: () => ({ kind: "error", status: 502, code: "upstream_bad_response", message: /not JSON|cut short/ }),
  },
  {
    name: "stream ends without its terminal event",
    respond: async ({ wire, stream, res }) => {
      if (stream) {
        await writeFrames(res, answerOf(wire).partialFrames);
        res.end();
        return;
      }
      // JSON: a chunked body that ends cleanly, half-way through the object.
      const whole = JSON.stringify(answerOf(wire).json);
      res.writeHead(200, { "content-type": "application/json" });
      res.write(whole.slice(0, 20));
      await sleep(5);
      res.end(whole.slice(20, Math.floor(whole.length / 2)));
    },
    expect: ({ stream }) =>
      stream ? { kind: "stream_error", message: /ended before|ended early|ended without/ } : { kind: "error", status: 502, code: "upstream_bad_response" },
  },
  {
    name: "stream dies mid-way",
    respond: async ({ wire, stream, res }) => {
      if (stream) await writeFrames(res, answerOf(wire).partialFrames);
      else {
        const whole = JSON.stringify(answerOf(wire).json);
        res.writeHead(200, { "content-type": "application/json", "content-length": String(whole.length) });
        res.write(whole.slice(0, 30));
        await sleep(5);
      }
      destroy(res);
    },
    expect: ({ stream }) =>
      stream
        ? { kind: "stream_error", message: /closed the connection before the stream ended/ }
        : { kind: "error", status: 502, code: "upstream_connection_closed", message: /closed the connection before the body ended/ },
  },
  {
    name: "stream stalls mid-way",
    timeoutS: STALL_TIMEOUT_S,
    respond: async ({ wire, stream, res }) => {
      if (stream) await writeFrames(res, answerOf(wire).partialFrames);
      else {
        const whole = JSON.stringify(answerOf(wire).json);
        res.writeHead(200, { "content-type": "application/json", "content-length": String(whole.length) });
        res.write(whole.slice(0, 30));
      }
      await sleep(STALL_MS);
      destroy(res);
    },
    expect: ({ stream }) => (stream ? { kind: "stream_error", message: /sent nothing for 0.5 s/ } : { kind: "error", status: 504, code: "upstream_timeout" }),
  },
  {
    name: "stream with an invalid event payload",
    respond: async ({ wire, stream, res }) => {
      if (!stream) return okBody(res, '["not", "a", "response"]');
      await writeFrames(res, [
        ...answerOf(wire).partialFrames,
        wire === "chat" ? "data: {not json\n\n" : `event: ${wire === "responses" ? "response.output_text.delta" : "content_block_delta"}\ndata: {not json\n\n`,
      ]);
      res.end();
    },
    expect: ({ stream, passThrough }) =>
      stream
        ? // Pass-through events are not parsed: the bad one is relayed, then the missing end is reported.
          { kind: "stream_error", message: passThrough ? /ended before its/ : /malformed/ }
        : { kind: "error", status: 502, code: "upstream_bad_response" },
  },
  {
    name: "answer of the other kind (JSON for a stream, a stream for JSON)",
    respond: async ({ wire, stream, res }) => {
      const answer = answerOf(wire);
      if (stream) return okBody(res, JSON.stringify(answer.json));
      await writeFrames(res, answer.frames);
      res.end();
    },
    expect: ({ stream }) =>
      stream
        ? { kind: "error", status: 502, code: "upstream_bad_response", message: /application\/json/ }
        : { kind: "error", status: 502, code: "upstream_bad_response", message: /text\/event-stream/ },
  },
  {
    name: "dies right after its headers",
    respond: async ({ stream, res }) => {
      res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json", ...(stream ? {} : { "content-length": "400" }) });
      res.flushHeaders();
      await sleep(10);
      destroy(res);
    },
    expect: ({ stream }) =>
      stream
        ? { kind: "stream_error", message: /closed the connection before the stream ended/ }
        : { kind: "error", status: 502, code: "upstream_connection_closed", message: /closed the connection before the body ended/ },
  },
  {
    name: "stalls right after its headers",
    timeoutS: STALL_TIMEOUT_S,
    respond: async ({ stream, res }) => {
      res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json", ...(stream ? {} : { "content-length": "400" }) });
      res.flushHeaders();
      await sleep(STALL_MS);
      destroy(res);
    },
    expect: ({ stream }) => (stream ? { kind: "stream_error", message: /sent nothing for 0.5 s/ } : { kind: "error", status: 504, code: "upstream_timeout" }),
  },
  {
    name: "failure reported inside a 200 (Responses status failed, Anthropic error event, chat error chunk)",
    respond: async ({ wire, stream, res }) => {
      const message = "the model crashed";
      if (wire === "responses") {
        const failed = responsesAnswer("failed", { output: [], usage: null, error: { code: "server_error", message } });
        if (!stream) return okBody(res, JSON.stringify(failed.json));
        const created = failed.frames[0] as string;
        await writeFrames(res, [created, sse("response.failed", { type: "response.failed", sequence_number: 1, response: failed.json })]);
        return void res.end();
      }
      if (!stream) return okBody(res, JSON.stringify(errorBodyOf(wire, 500, message)));
      const partial = answerOf(wire).partialFrames;
      const error = wire === "messages" ? sse("error", errorBodyOf(wire, 529, message)) : sse(undefined, errorBodyOf(wire, 500, message));
      await writeFrames(res, [...partial, error]);
      res.end();
    },
    expect: ({ client, backend, stream }) => {
      // A Responses client of a Responses backend gets the failed Response itself: its own format says it.
      if (client === "responses" && backend === "responses") return { kind: "answer", finish: "failed" };
      return stream
        ? { kind: "stream_error", message: /the model crashed/ }
        : { kind: "error", status: 502, code: "upstream_error", message: /the model crashed/ };
    },
  },
  {
    name: "hangs up right after its whole answer",
    respond: async ({ wire, stream, res }) => {
      const answer = answerOf(wire);
      if (stream) await writeFrames(res, answer.frames);
      else {
        const whole = JSON.stringify(answer.json);
        res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(whole)) });
        res.write(whole);
        await sleep(5);
      }
      destroy(res);
    },
    // The answer was whole: the connection closing after it changes nothing.
    expect: () => ({ kind: "answer", finish: "stop" }),
  },
  {
    name: "answer cut at the token limit (Responses incomplete)",
    respond: async ({ wire, stream, res }) => {
      const answer =
        wire === "responses"
          ? responsesAnswer("incomplete", { incomplete_details: { reason: "max_output_tokens" } })
          : wire === "messages"
            ? messagesAnswer("max_tokens")
            : (() => {
                const a = chatAnswer();
                const choices = (a.json.choices as Array<Record<string, unknown>>).map((c) => ({ ...c, finish_reason: "length" }));
                a.json = { ...a.json, choices };
                a.frames = a.frames.map((f) => f.replace('"finish_reason":"stop"', '"finish_reason":"length"'));
                return a;
              })();
      if (!stream) return okBody(res, JSON.stringify(answer.json));
      await writeFrames(res, answer.frames);
      res.end();
    },
    expect: () => ({ kind: "answer", finish: "length" }),
  },
];
