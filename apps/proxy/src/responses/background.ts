// `background: true`: the client is answered at once with a queued Response; the run then goes
// queued → in_progress → completed (or failed, or cancelled) in this process, through the same
// pipeline call as any Response, whether its client stays or not.

import type { StoredResponse } from "@yallmproxy/db";
import { Errors, ProxyError } from "../errors.js";
import { type ClientReply, type ClientRequest, DetachedReply, detachedRequest } from "../pipeline/client.js";
import { translateContext } from "../pipeline/translation.js";
import type { ProxyRuntime } from "../runtime.js";
import { ownedResponse } from "./chain.js";
import { callerOf, createResponse } from "./create.js";
import { type ResponsesBody, queuedRecord } from "./records.js";

/** Refuses what a background request cannot be (unstored, streamed). */
export function checkBackground(body: ResponsesBody): void {
  if (body.store === false) throw Errors.invalidField("background", "Background responses require store to be true.");
  if (body.stream === true)
    throw Errors.invalidField("stream", "Streaming background responses is not supported by this proxy; poll GET /v1/responses/{id} instead.");
}

/** Stores the queued Response, starts its run, and answers the client with it. */
export async function startBackground(runtime: ProxyRuntime, request: ClientRequest, reply: ClientReply, body: ResponsesBody): Promise<void> {
  const id = translateContext.newId("resp_");
  const caller = callerOf(request);
  const record = queuedRecord(id, body, caller, runtime.config.responseState.ttlSeconds);
  await runtime.responses.put(record);
  // The run's own request: the client's id and headers (its trace and log line), not its socket.
  const runRequest = detachedRequest(request.id, caller, request);
  runtime.background.start(id, (signal) => run(runtime, runRequest, { ...body, stream: false }, record, signal));
  reply.code(200).header("content-type", "application/json; charset=utf-8").send(JSON.stringify(record.response));
}

async function run(runtime: ProxyRuntime, request: ClientRequest, body: ResponsesBody, record: StoredResponse, signal: AbortSignal): Promise<void> {
  await runtime.responses.put({ ...record, status: "in_progress", response: { ...record.response, status: "in_progress" } });
  const reply = new DetachedReply();
  let error: { code: string; message: string } | undefined;
  try {
    await createResponse({ runtime, request, reply, body, run: { id: record.id, signal } });
    if (reply.status >= 400) error = errorOfBody(reply.status, reply.body);
  } catch (err) {
    if (!(err instanceof ProxyError)) request.log.error({ reqId: request.id, err }, "background run failed");
    const e = err instanceof ProxyError ? err : Errors.internal();
    error = { code: e.code ?? "server_error", message: e.message };
  }
  if (!error || signal.aborted) return;
  const current = await runtime.responses.get(record.id);
  if (!current || current.status === "cancelled" || current.status === "completed") return;
  await runtime.responses.put({ ...current, status: "failed", response: { ...current.response, status: "failed", error } });
}

/** The error an upstream's own refusal (relayed as it came) carries, in OpenAI's shape when it has one. */
function errorOfBody(status: number, body: string | Buffer | undefined): { code: string; message: string } {
  const fallback = { code: "server_error", message: `background run failed with status ${status}` };
  if (body === undefined) return fallback;
  try {
    const parsed: unknown = JSON.parse(body.toString());
    const e = typeof parsed === "object" && parsed !== null && "error" in parsed ? parsed.error : undefined;
    if (typeof e !== "object" || e === null) return fallback;
    const message = "message" in e && typeof e.message === "string" ? e.message : undefined;
    const code = "code" in e && typeof e.code === "string" ? e.code : "server_error";
    return message === undefined ? fallback : { code, message };
  } catch {
    return fallback;
  }
}

/** `POST /v1/responses/{id}/cancel`: a background run still going stops, and its record says so. */
export async function cancelBackground(runtime: ProxyRuntime, id: string, request: ClientRequest): Promise<Record<string, unknown>> {
  const found = await ownedResponse(runtime.responses, id, callerOf(request));
  if (typeof found === "string") throw Errors.responseNotFound(id);
  if (found.response.background !== true) throw Errors.invalidField("response_id", "Only background responses can be cancelled.");
  if (found.status !== "queued" && found.status !== "in_progress") return found.response;
  const cancelled = { ...found, status: "cancelled", response: { ...found.response, status: "cancelled" } };
  await runtime.responses.put(cancelled);
  await runtime.background.cancel(found.id);
  return cancelled.response;
}
