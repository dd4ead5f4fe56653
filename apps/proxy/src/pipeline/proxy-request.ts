// One client request from routing to the last byte, in three stages: admit (access check, concurrency
// slot), call with failover, then answer (pipeline/answer.ts: relayed as-is in the same wire format,
// or translated through the hub).

import { isUtf8 } from "node:buffer";
import { codecs } from "@yallmproxy/translate";
import { type Caller, mayUseModel } from "../auth.js";
import { Cancel } from "../cancel.js";
import type { Release } from "../concurrency.js";
import type { ModelRoute, ProxyConfig } from "../config/load-config.js";
import { Errors, ProxyError } from "../errors.js";
import type { Trace } from "../ops/trace.js";
import { affinityKeyOf, responseKey } from "../balance/affinity-key.js";
import type { GroupPool } from "../balance/balancer.js";
import type { DeploymentState } from "../balance/deployment-state.js";
import { groupNamesFor, stripProviderPrefix } from "../model-chain.js";
import { callWithFailover } from "../router.js";
import { checkStreamStart } from "./stream-start.js";
import type { Backend, UpstreamResponse } from "../upstream/types.js";
import { answer, closeGone, sendUpstreamRefusal } from "./answer.js";
import { clientSessionId } from "./client.js";
import { admitLimits, type HeldLimits } from "./limits-stage.js";
import { passthroughBody, passthroughRaw } from "./apply-parameters.js";
import { spliceTopLevelString } from "./json-splice.js";
import { materializeRelayed, relayedBytes, relaysUnparsed } from "./relay-intake.js";
import { materializeSkeleton, restoreSkeleton } from "./skeleton-intake.js";
import { type CrossFormatHandler, type Flight, type PreparedRequest, type ProxyCallOptions, type RequestLog, round } from "./flight.js";

export type { CrossFormatHandler, FinalHook, ProxyCallOptions } from "./flight.js";

/** The GenAI operation of the endpoints that are not chat-like. */
const OPERATIONS: Record<string, string> = { "/embeddings": "embeddings", "/rerank": "rerank" };

export async function proxyRequest(opts: ProxyCallOptions): Promise<void> {
  const { runtime, request, call } = opts;
  const caller = request.caller ?? { keyId: undefined, key: undefined };
  const requested = typeof call.body.model === "string" ? call.body.model : "";
  const model = stripProviderPrefix(requested);
  const ops = runtime.ops;
  const trace = ops.start(String(request.id), model, caller.keyId, call.format, call.stream);
  trace.setClientRequest(call.body, request.headers);
  if (ops.telemetry) trace.otel = ops.telemetry.request(trace, request.headers, OPERATIONS[call.path]);
  const log: RequestLog = { reqId: request.id, model, client: call.format, stream: call.stream, key: caller.keyId };
  if (request.webSocket) log.websocket = true;
  const session = clientSessionId(request);
  if (session !== undefined) log.session = trace.sessionId = session;
  try {
    await runStages(opts, trace, log, caller, model, requested);
  } catch (err) {
    log.status ??= err instanceof ProxyError ? err.status : 500;
    trace.error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    trace.promptTokens = log.promptTokens ?? null;
    trace.completionTokens = log.completionTokens ?? null;
    noteUsage(trace, log);
    if (opts.warnings?.length) trace.warningList = opts.warnings;
    if (log.upstreamError && !trace.error) trace.error = String(log.upstreamError);
    trace.finish(log.status ?? opts.reply.raw.statusCode);
    ops.finish(trace);
  }
}

/** The rest of the usage, for the ledger. */
function noteUsage(trace: Trace, log: RequestLog): void {
  if (log.cachedTokens !== undefined) trace.cachedTokens = log.cachedTokens;
  if (log.cacheWriteTokens !== undefined) trace.cacheWriteTokens = log.cacheWriteTokens;
  if (log.reasoningTokens !== undefined) trace.reasoningTokens = log.reasoningTokens;
  if (log.finishReason !== undefined) trace.finishReason = log.finishReason;
  if (log.toolCalls !== undefined) trace.toolCalls = log.toolCalls;
}

async function runStages(opts: ProxyCallOptions, trace: Trace, log: RequestLog, caller: Caller, model: string, requested: string): Promise<void> {
  const { runtime, request } = opts;
  const { config, pools } = runtime.generation;
  const allowed = allowedPools(config, caller, groupNamesFor(config, model), pools, requested);
  const cancel = new Cancel();
  const flight: Flight = {
    opts,
    trace,
    log,
    caller,
    model,
    started: performance.now(),
    tap: {
      upstream: (chunk) => {
        trace.upstreamChunk(chunk);
        runtime.ops.progress(trace);
      },
      client: (data) => trace.clientChunk(data),
    },
    cancel,
    inFlight: { cancel, answered: undefined },
    handlerFor: crossFormatCache(opts),
  };
  // Key and model limits are the group's: they name the model, whichever deployment serves it.
  const limited = admitLimits(flight, (allowed.pools[0] as GroupPool).group.deployments[0] as ModelRoute);
  const held = limited instanceof Promise ? await limited : limited;
  // Awaited only when it must wait: each suspended async frame is kept alive per request in flight.
  const admitted = held ? admitOrGiveBack(flight, held) : admit(flight);
  const release = admitted instanceof Promise ? await admitted : admitted;
  if (!release) {
    held?.settle();
    return;
  }
  let picked: Picked | undefined;
  try {
    picked = await callUpstream(flight, allowed, held);
    if (picked) {
      const taking = held?.ready();
      if (taking) await taking;
      await answer(flight, picked.backend, picked.response);
    }
  } catch (err) {
    // A refusal heard while the call was under way is the answer, whatever the call met.
    const refused = held && (await held.refusal());
    const thrown = refused ?? err;
    if (thrown instanceof ProxyError) log.status = thrown.status;
    throw thrown;
  } finally {
    if (picked) finishDeployment(flight, picked, allowed.affinityKey);
    release();
    held?.settle();
    log.latencyMs = round(performance.now() - flight.started);
    if (opts.warnings?.length) log.warnings = opts.warnings;
    request.requestLogged = true;
    request.log.info(log, "request");
  }
}

/** `admit`, with the limits' share given back when the request is refused there (it never reaches the upstream). */
function admitOrGiveBack(flight: Flight, held: HeldLimits): Release | undefined | Promise<Release | undefined> {
  const refused = async (err: unknown): Promise<never> => {
    held.settle();
    // A refusal of the limits cancels the wait for a slot too, and is the answer.
    throw (await held.refusal()) ?? err;
  };
  let admitted: Release | undefined | Promise<Release | undefined>;
  try {
    admitted = admit(flight);
  } catch (err) {
    return refused(err);
  }
  return admitted instanceof Promise ? admitted.catch(refused) : admitted;
}

interface AllowedPools {
  pools: GroupPool[];
  permit: ((route: ModelRoute) => boolean) | undefined;
  affinityKey: string | undefined;
}

/** The groups of `model` and its fallbacks the caller may use, refusing a model that is unknown or not the caller's. */
function allowedPools(config: ProxyConfig, caller: Caller, names: readonly string[], pools: Map<string, GroupPool>, requested: string): AllowedPools {
  const primary = names[0] ? pools.get(names[0]) : undefined;
  if (!primary) throw Errors.modelNotFound(requested);
  const may = (route: ModelRoute) => mayUseModel(config, caller, route);
  if (!primary.group.deployments.some(may)) throw Errors.modelNotAllowed(primary.name);
  const out: GroupPool[] = [];
  let restricted = false;
  for (const name of names) {
    const pool = pools.get(name);
    if (!pool || !pool.group.deployments.some(may)) continue;
    out.push(pool);
    restricted ||= pool.restricted;
  }
  return { pools: out, permit: restricted && config.appKeys.enabled ? may : undefined, affinityKey: undefined };
}

/**
 * Admit: the request is tracked for shutdown, cancelled when its client leaves (or its run is
 * cancelled), and waits for its concurrency slot (at once when one is free). Returns what frees all
 * of that, or undefined when the client left while waiting (already answered).
 */
function admit(flight: Flight): Release | undefined | Promise<Release | undefined> {
  const { runtime, reply, call } = flight.opts;
  const { cancel, caller, model, inFlight } = flight;
  runtime.inFlight.add(inFlight);
  const onClose = () => {
    if (!reply.raw.writableFinished) cancel.abort();
  };
  reply.raw.on("close", onClose);
  const onExternalAbort = () => cancel.abort();
  if (call.signal?.aborted) cancel.abort();
  else call.signal?.addEventListener("abort", onExternalAbort, { once: true });
  const unwatch = () => {
    runtime.inFlight.delete(inFlight);
    reply.raw.removeListener("close", onClose);
    call.signal?.removeEventListener("abort", onExternalAbort);
  };

  const config = runtime.generation.config;
  const concurrency = caller.key?.concurrency ?? config.appKeys.unauthenticated;
  const granted = (slot: Release | ProxyError): Release | undefined => {
    if (slot instanceof ProxyError) {
      unwatch();
      if (cancel.reason instanceof ProxyError) throw cancel.reason;
      if (slot.status === 499) return void closeGone(reply, slot, call.format);
      throw slot;
    }
    return () => {
      // An upstream body nobody finished reading (an error on the way) must not hold its connection.
      inFlight.answered?.direct?.abort();
      unwatch();
      slot();
    };
  };
  const acquired = runtime.limiter.acquire(caller.keyId, model, concurrency, cancel);
  return typeof acquired === "function" ? granted(acquired) : acquired.then(granted);
}

interface Picked {
  backend: Backend;
  state: DeploymentState;
  response: UpstreamResponse;
}

/** Call with failover: a deployment of each allowed group in turn gets the request in its own format. */
async function callUpstream(flight: Flight, allowed: AllowedPools, held: HeldLimits | undefined): Promise<Picked | undefined> {
  const { runtime, reply, call, request } = flight.opts;
  const { trace, log } = flight;
  const { config } = runtime.generation;
  const prepared = new Map<Backend, PreparedRequest>();
  const primary = allowed.pools[0] as GroupPool;
  if (config.router.affinity.enabled)
    allowed.affinityKey = affinityKeyOf(primary.name, call.body, request.headers, config.router.affinity.header, flight.opts.previousResponseId);
  const affinity = allowed.affinityKey === undefined ? undefined : await runtime.balancer.affinityOf(allowed.affinityKey, Date.now());
  const result = await callWithFailover({
    pools: allowed.pools,
    permit: allowed.permit,
    affinity,
    prepare: (backend) => {
      const out = prepareFor(flight, backend);
      if (out instanceof ProxyError) return out;
      prepared.set(backend, out);
      return {
        path: out.path,
        body: out.body,
        stream: call.stream,
        ...(out.rawBody ? { rawBody: out.rawBody } : {}),
        ...(out.headers ? { headers: out.headers } : {}),
      };
    },
    onAttempt: (a) => {
      trace.addAttempt(a);
      if (a.outcome === "retry") runtime.ops.metrics.retries.inc({ backend: a.backend });
    },
    ...(trace.otel ? { startAttempt: trace.otel.attempt.bind(trace.otel) } : {}),
    ...(call.stream ? { checkAnswer: checkStreamStart } : {}),
    cancel: flight.cancel,
    numRetries: config.router.numRetries,
    retryBaseDelayMs: config.router.retryBaseDelayMs,
    retryMaxDelayMs: config.router.retryMaxDelayMs,
  });
  log.attempts = result.attempts.length;
  if (result.attempts.length > 1) log.failover = result.attempts.map((a) => `${a.backend}#${a.attempt}:${a.status ?? a.error}:${a.outcome}`);
  if (!result.ok) {
    const { error, errorFrom } = result;
    // The retries ran out on an upstream of the client's own format: its refusal goes out as it came.
    if (errorFrom?.format === call.format && error.upstreamBody && error.upstreamBody.length > 0) {
      const taking = held?.ready();
      if (taking) await taking;
      log.status = error.status;
      trace.error = error.message;
      sendUpstreamRefusal(reply, error, error.upstreamBody);
      return undefined;
    }
    if (result.error.status !== 499) throw result.error;
    log.status = 499;
    closeGone(reply, result.error, call.format);
    return undefined;
  }
  const { backend, response, state } = result;
  flight.inFlight.answered = response;
  log.backend = state.id;
  trace.backend = state.id;
  trace.backendFormat = backend.format;
  const sent = prepared.get(backend);
  if (sent) trace.setUpstreamRequest(backend.route.apiBase + sent.path, sent.body);
  const firstBackend = result.attempts[0]?.backend;
  if (firstBackend && firstBackend !== state.id) runtime.ops.metrics.fallbacks.inc({ from: firstBackend, to: state.id });
  return { backend, response, state };
}

/** The answer is over: the deployment's in-flight count and tokens, and the conversation's deployment. */
function finishDeployment(flight: Flight, picked: Picked, affinityKey: string | undefined): void {
  const now = Date.now();
  const { log, opts } = flight;
  picked.state.finished(now, (log.promptTokens ?? 0) + (log.completionTokens ?? 0));
  const ok = log.status !== undefined && log.status < 400;
  // A conversation is kept on a deployment of the model it asked for, not on a fallback's.
  if (!ok || !opts.runtime.config.router.affinity.enabled || picked.state.route.name !== flight.model) return;
  const balancer = opts.runtime.balancer;
  if (affinityKey !== undefined) balancer.remember(affinityKey, picked.state.id, now);
  const answeredId = opts.answeredId?.();
  if (answeredId !== undefined) balancer.remember(responseKey(flight.model, answeredId), picked.state.id, now);
}

/** The upstream request for one backend: the client's own body (model swapped) or its translation. */
function prepareFor(flight: Flight, backend: Backend): PreparedRequest | ProxyError {
  const { call, request } = flight.opts;
  if (call.plainEndpoint) return preparePlain(call, backend);
  // A body relayed unparsed is parsed after all for a backend that needs it (after a config reload).
  if (request.relay && !(backend.format === call.format && relaysUnparsed(backend.route, backend.format))) {
    const failed = materializeRelayed(request, call.body);
    if (failed) return failed;
  }
  if (request.skeleton && backend.format === call.format) {
    const failed = materializeSkeleton(request, call.body);
    if (failed) return failed;
  }
  if (backend.format !== call.format) {
    const h = flight.handlerFor(backend);
    const out = h instanceof ProxyError ? h : h.encode(backend);
    return request.skeleton && !(out instanceof ProxyError) ? restoreSkeleton(request.skeleton, out, backend) : out;
  }
  if (request.relay) {
    const rawBody = relayedBytes(request.relay, call.body.model, backend.route.upstreamModel);
    return {
      path: call.path,
      body: { ...call.body, model: backend.route.upstreamModel },
      rawBody,
      ...(call.forwardHeaders ? { headers: call.forwardHeaders } : {}),
    };
  }
  const takesThinking = codecs[backend.format].takesRouteThinking;
  const raw = call.rawBody && passthroughRaw(call.rawBody, call.body, backend.route, takesThinking);
  // With the bytes relayed, the parsed body only names what was sent (traces, the mock backend).
  const body = raw ? { ...call.body, model: backend.route.upstreamModel } : passthroughBody(call.body, backend.route, takesThinking);
  return { path: call.path, body, ...(raw ? { rawBody: raw } : {}), ...(call.forwardHeaders ? { headers: call.forwardHeaders } : {}) };
}

/** Embeddings and rerank: the client's bytes with the model renamed, for OpenAI-compatible backends only. */
function preparePlain(call: ProxyCallOptions["call"], backend: Backend): PreparedRequest | ProxyError {
  if (backend.format !== "chat" || backend.route.apiType === "gigachat")
    return Errors.endpointNotServed(backend.route.name, backend.route.apiType, `/v1${call.path}`);
  const model = backend.route.upstreamModel;
  const rawBody = call.rawBody && isUtf8(call.rawBody) ? spliceTopLevelString(call.rawBody, "model", model, call.body.model) : undefined;
  return { path: call.path, body: { ...call.body, model }, ...(rawBody ? { rawBody } : {}) };
}

/** One cross-format handler per backend format, built on first use. */
function crossFormatCache(opts: ProxyCallOptions): (backend: Backend) => CrossFormatHandler | ProxyError {
  const cross = new Map<string, CrossFormatHandler | ProxyError>();
  return (backend) => {
    let h = cross.get(backend.format);
    if (!h) {
      h = opts.crossFormat ? opts.crossFormat(backend.format) : Errors.unsupportedBackendFormat(backend.route.name, backend.format, opts.call.format);
      cross.set(backend.format, h);
    }
    return h;
  };
}
