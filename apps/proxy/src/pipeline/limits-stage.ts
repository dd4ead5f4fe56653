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
 * A request's share of its limits: taken, or (with Redis, well clear of the limits) still being
 * taken while the upstream call starts. Then nothing reaches the client before `ready`, and a
 * refusal cancels the call and is the answer.
 */
export class HeldLimits {
  private ticket: LimitTicket | undefined;
  private taking: Promise<LimitTicket> | undefined;

  constructor(
    private readonly flight: Flight,
    taken: LimitTicket | Promise<LimitTicket>,
  ) {
    if (!(taken instanceof Promise)) {
      this.ticket = taken;
      return;
    }
    this.taking = taken;
    taken.catch((err: unknown) => flight.cancel.abort(err));
  }

  /** Waits for a take under way (undefined when none is: nothing to wait for); throws its refusal. */
  ready(): Promise<void> | undefined {
    const taking = this.taking;
    if (!taking) return undefined;
    return taking.then((ticket) => {
      this.ticket = ticket;
      this.taking = undefined;
    });
  }

  /** The refusal of a take under way, once heard; undefined when it was granted (or already known). */
  async refusal(): Promise<unknown> {
    try {
      await this.ready();
      return undefined;
    } catch (err) {
      return err;
    }
  }

  /** Corrects the counters by the request's real usage, once its take is known; never throws. */
  settle(): void {
    if (this.ticket) settleLimits(this.flight, this.ticket);
    else
      this.taking?.then(
        (t) => settleLimits(this.flight, t),
        () => undefined,
      );
  }
}

/**
 * Takes the share of the limits `route` and the caller's key have: undefined at once when there
 * are none, the ticket itself when they count in this process. Throws the refusal, in the client's
 * format through the error handler; with a take left under way, `HeldLimits.ready` does.
 */
export function admitLimits(flight: Flight, route: ModelRoute): HeldLimits | Promise<HeldLimits> | undefined {
  const { limits } = flight.opts.runtime;
  const plan = limits.plan(flight.caller.key, route);
  if (!plan) return undefined;
  const estimate = estimateTokens(flight);
  const overlap = limits.mayOverlap(plan, estimate);
  const out = limits.admit(plan, estimate);
  if (!(out instanceof Promise)) return new HeldLimits(flight, granted(flight, out));
  const ticket = out.then((o) => granted(flight, o));
  return overlap ? new HeldLimits(flight, ticket) : ticket.then((t) => new HeldLimits(flight, t));
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
function settleLimits(flight: Flight, ticket: LimitTicket): void {
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
