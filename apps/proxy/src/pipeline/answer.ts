// The answer stage: the chosen backend's response reaches the client, relayed as it came when the
// wire formats match, translated through the hub when they do not, or as the client's error.

import { type FinishReason, codecs, parseUpstreamJson } from "@yallmproxy/translate";
import { type ClientFormat, Errors, ProxyError, errorBodyFor } from "../errors.js";
import { readLimited, upstreamHttpError } from "../router.js";
import type { Backend, UpstreamResponse } from "../upstream/types.js";
import type { ClientReply } from "./client.js";
import { type FinalHook, type Flight, round } from "./flight.js";
import { SSE_HEADERS, directFrom, readAll, relayDirect, relayJson } from "./relay.js";
import { relayResponsesCapturing } from "./relay-responses.js";
import { type TokenUsage, usageFromJsonTail, usageOfRelayedStream, usageOf } from "./usage.js";
import { badJsonBody, bodyFailure, checkJsonAnswer, contentTypeOf, notAnEventStream, snippet, wrongContentType } from "./upstream-answer.js";

/** Pass-through JSON bodies up to this size are held until they end (beyond it, relayed as they come). */
const JSON_HOLD_BYTES = 4 * 1024 * 1024;
/** The last bytes of a relayed answer searched for its finish reason. */
const TAIL_BYTES = 4096;

/** Not itself async: it only picks the path, and each request in flight would keep one more promise. */
export function answer(flight: Flight, backend: Backend, response: UpstreamResponse): Promise<void> {
  const { call } = flight.opts;
  if (response.status >= 400) return answerUpstreamError(flight, backend, response);
  if (call.plainEndpoint) return relayJsonAnswer(flight, backend, response);
  // Response modules work on the hub's events, so a same-format answer they change crosses the hub too.
  if (backend.format !== call.format || backend.route.responseModules) return answerTranslated(flight, backend, response);
  if (call.stream) return relayStream(flight, backend, response);
  if (call.onFinal) return answerHeardJson(flight, backend, response, call.onFinal);
  return relayJsonAnswer(flight, backend, response);
}

/** An upstream's refusal: its own body for a client of its format, re-rendered for any other. */
async function answerUpstreamError(flight: Flight, backend: Backend, response: UpstreamResponse): Promise<void> {
  const { reply, call } = flight.opts;
  const body = await readLimited(response.body, 1024 * 1024);
  flight.tap.upstream(body);
  const err = upstreamHttpError(response, body);
  flight.log.status = err.status;
  if (backend.format !== call.format) throw Errors.upstreamRefused(err);
  sendUpstreamRefusal(reply, err, body);
}

/**
 * An upstream's refusal to a client of its format, its body as it came: clients match on its
 * wording (Claude Code on "prompt is too long", on `overloaded_error`), so nothing is re-rendered.
 */
export function sendUpstreamRefusal(reply: ClientReply, err: ProxyError, body: Buffer): void {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  reply
    .code(err.status)
    .header("content-type", err.upstreamContentType ?? "application/json")
    .send(body);
}

async function answerTranslated(flight: Flight, backend: Backend, response: UpstreamResponse): Promise<void> {
  const { request, reply } = flight.opts;
  const h = flight.handlerFor(backend);
  // Never: a backend whose handler is an error was not called.
  if (h instanceof ProxyError) throw h;
  const out = await h.respond({ backend, upstream: response, request, reply, signal: flight.cancel.signal, tap: flight.tap });
  flight.log.status = out.clientGone ? 499 : reply.raw.statusCode;
  if (out.usage) Object.assign(flight.log, out.usage);
  if (out.finish) flight.log.finishReason = out.finish;
  if (out.toolCalls) flight.log.toolCalls = out.toolCalls;
  if (out.upstreamError) flight.log.upstreamError = out.upstreamError;
}

/** A same-format stream, relayed chunk by chunk (a Responses stream's terminal event heard first, when asked). */
async function relayStream(flight: Flight, backend: Backend, response: UpstreamResponse): Promise<void> {
  const { request, reply, call } = flight.opts;
  const { log, cancel, tap } = flight;
  const wrong = wrongContentType(contentTypeOf(response.headers), true);
  if (wrong) throw await notAnEventStream(response, backend, wrong);
  reply.hijack();
  reply.raw.writeHead(200, { ...SSE_HEADERS, "x-request-id": String(request.id) });
  const onFinal = call.onFinal;
  const relayed = onFinal
    ? await relayResponsesCapturing(response.body, reply.raw, cancel.signal, (final) => onFinal(final, backend), tap)
    : await relayDirect(response.direct ?? directFrom(response.body), reply.raw, call.format, cancel, tap);
  if (relayed.firstChunkAt) log.ttfbMs = round(relayed.firstChunkAt - flight.started);
  if (relayed.upstreamError) log.upstreamError = relayed.upstreamError;
  log.status = relayed.clientGone ? 499 : 200;
  if (!relayed.clientGone) reply.raw.end();
  noteRelayedEnding(flight, usageOfRelayedStream(relayed.head, relayed.lastUsage ?? relayed.tail), relayed.tail, relayed.finish);
}

/** Rerank answers count only `total_tokens`: all of them are input. */
function inputOnlyUsage(flight: Flight, usage: TokenUsage | undefined): TokenUsage | undefined {
  if (!flight.opts.call.plainEndpoint || !usage || usage.promptTokens !== undefined || usage.totalTokens === undefined) return usage;
  return { ...usage, promptTokens: usage.totalTokens };
}

/**
 * Usage and finish reason of an answer relayed unchanged: the usage from its last bytes (and first,
 * for streams); the finish as a stream's relay heard it, else from the last bytes.
 */
function noteRelayedEnding(flight: Flight, usage: TokenUsage | undefined, tail: Buffer, heard?: FinishReason): void {
  if (usage) Object.assign(flight.log, usage);
  const finish = heard ?? codecs[flight.opts.call.format].finishFromTail(tail.toString("latin1", Math.max(0, tail.length - TAIL_BYTES)));
  if (finish) {
    flight.log.finishReason = finish;
    // A relayed body is not parsed, so its calls are not counted one by one: an answer that asks for tools counts once.
    if (finish === "tool_calls") flight.log.toolCalls = 1;
  }
}

/**
 * A same-format JSON body, held until it ends (up to JSON_HOLD_BYTES) so a body that breaks or is not
 * JSON still gets an error status; checked by its first and last bytes, never parsed; usage read
 * from the tail.
 */
async function relayJsonAnswer(flight: Flight, backend: Backend, response: UpstreamResponse): Promise<void> {
  const { request, reply } = flight.opts;
  const { log, cancel, tap } = flight;
  const type = jsonContentType(backend, response);
  log.status = response.status;
  const head = (length?: number) => {
    reply.hijack();
    reply.raw.writeHead(response.status, {
      "content-type": type,
      "x-request-id": String(request.id),
      ...(length !== undefined ? { "content-length": length } : {}),
    });
  };
  const relayed = await relayJson(response.direct ?? directFrom(response.body), reply.raw, cancel, tap, JSON_HOLD_BYTES, head);
  if (relayed.clientGone) {
    log.status = 499;
    return closeGone(reply, Errors.clientGone(), flight.opts.call.format);
  }
  if (relayed.failure) throw bodyFailure(relayed.failure, backend.route.name);
  if (relayed.held) {
    const bad = checkJsonAnswer(backend.format, backend.route.name, relayed.held);
    if (bad) throw bad;
    head(relayed.held.length);
    tap.client(relayed.held);
    reply.raw.end(relayed.held);
  } else if (!reply.raw.destroyed) reply.raw.end();
  if (relayed.upstreamError) log.upstreamError = relayed.upstreamError;
  const body = relayed.held ?? relayed.tail ?? Buffer.alloc(0);
  noteRelayedEnding(flight, inputOnlyUsage(flight, usageFromJsonTail(body)), body);
}

/** A same-format JSON body read whole and parsed, so `onFinal` hears it before the client gets it. */
async function answerHeardJson(flight: Flight, backend: Backend, response: UpstreamResponse, onFinal: FinalHook): Promise<void> {
  const { reply } = flight.opts;
  const name = backend.route.name;
  const type = jsonContentType(backend, response);
  flight.log.status = response.status;
  let body: Buffer;
  try {
    body = await readAll(response.body);
  } catch (err) {
    throw bodyFailure(err, name);
  }
  flight.tap.upstream(body);
  const bad = badJsonBody(body);
  if (bad) throw Errors.upstreamBadResponse(name, bad);
  let parsed: unknown;
  try {
    parsed = parseUpstreamJson(body.toString("utf8"));
  } catch {
    throw Errors.upstreamBadResponse(name, `a body that is not JSON (${snippet(body)})`);
  }
  if (!isRecord(parsed)) throw Errors.upstreamBadResponse(name, `a body that is not a JSON object (${snippet(body)})`);
  const final = parsed;
  noteRelayedEnding(flight, usageOf(final), body);
  try {
    await onFinal(final, backend);
  } catch (err) {
    // A Response that cannot be stored is still the client's answer.
    if (err instanceof ProxyError) throw err;
  }
  flight.tap.client(body);
  reply.code(response.status).header("content-type", type).send(body);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function jsonContentType(backend: Backend, response: UpstreamResponse): string {
  const type = contentTypeOf(response.headers) ?? "application/json";
  const wrong = wrongContentType(type, false);
  if (wrong) throw Errors.upstreamBadResponse(backend.route.name, wrong);
  return type;
}

/** Ends a request whose client left (or whose run was cancelled) so nothing waits on it; the body is in the client's format. */
export function closeGone(reply: ClientReply, err: ProxyError, format: ClientFormat): void {
  if (!reply.sent && !reply.raw.headersSent)
    reply
      .code(499)
      .header("content-type", "application/json")
      .send(JSON.stringify(errorBodyFor(format, err)));
}
