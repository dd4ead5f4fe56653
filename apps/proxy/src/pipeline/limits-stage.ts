// Rate limits and budgets around one request: its share taken before the upstream call (the answer
// then carries the client format's rate-limit headers), corrected by the real usage after it.

import { codecs } from "@yallmproxy/translate";
import type { ModelRoute } from "../config/load-config.js";
import type { Admission, LimitTicket } from "../limits/rate-limits.js";
import { costOf } from "../usage/pricing.js";
import type { Flight } from "./flight.js";

/** Tokens a request is charged up front: its body's size at about four bytes a token. */
function estimateTokens(flight: Flight): number {
  const length = Number(flight.opts.request.headers["content-length"]);
  return Number.isFinite(length) && length > 0 ? Math.ceil(length / 4) : 1;
}

/**
 * Checks the limits `route` and the caller's key have; undefined at once when there are none, and
 * the ticket itself (no promise) when they count in this process. Throws the refusal, in the
 * client's format through the error handler.
 */
export function admitLimits(flight: Flight, route: ModelRoute): LimitTicket | Promise<LimitTicket> | undefined {
  const { runtime } = flight.opts;
  const plan = runtime.limits.plan(flight.caller.key, route);
  if (!plan) return undefined;
  const out = runtime.limits.admit(plan, estimateTokens(flight));
  return out instanceof Promise ? out.then((o) => granted(flight, o)) : granted(flight, out);
}

/** The ticket of an admission, with its rate-limit headers on the answer; the refusal thrown. */
function granted(flight: Flight, out: Admission): LimitTicket {
  const headers = codecs[flight.opts.call.format].rateLimitHeaders(out.state);
  if ("refusal" in out) {
    Object.assign(out.refusal.headers, headers);
    throw out.refusal;
  }
  for (const name in headers) flight.opts.reply.raw.setHeader(name, headers[name]!);
  return out.ticket;
}

/** Charges what the request really used: tokens (TPM) and, for a key with a budget, its cost. */
export function settleLimits(flight: Flight, ticket: LimitTicket): void {
  const { log } = flight;
  const input = log.promptTokens ?? 0;
  const output = log.completionTokens ?? 0;
  let cost: number | undefined;
  if (ticket.budget && (input > 0 || output > 0)) {
    // `backend` names the deployment that answered: its own model and prices.
    const route = typeof log.backend === "string" ? flight.opts.runtime.balancer.state(log.backend)?.route : undefined;
    if (route) {
      const usage = { inputTokens: input, outputTokens: output, cachedTokens: log.cachedTokens ?? 0, cacheWriteTokens: log.cacheWriteTokens ?? 0 };
      cost = costOf(usage, route.upstreamModel, route.apiBase, route.pricing);
    }
  }
  flight.opts.runtime.limits.settle(ticket, input + output, cost);
}
