// The routing strategies: each picks one deployment of a group in one or two passes over its states,
// allocating nothing. A deployment is eligible when this request has not tried it yet, the caller
// may use it, it is not cooling down and it is under its caps.

import type { ModelRoute, RoutingStrategy } from "../config/load-config.js";
import type { DeploymentState } from "./deployment-state.js";

/** The cost of a deployment with no latency sample yet that already has requests in flight (ms). */
const UNSAMPLED_PENALTY_MS = 10_000;

export type Random = () => number;

/** What a pick leaves out: the deployments this request tried (none on its first pick), those the caller may not use. */
export interface Exclude {
  tried: readonly DeploymentState[] | undefined;
  permit: ((route: ModelRoute) => boolean) | undefined;
}

export function eligible(s: DeploymentState, x: Exclude, now: number): boolean {
  return (x.tried === undefined || !x.tried.includes(s)) && (x.permit === undefined || x.permit(s.route)) && !s.cooling(now) && !s.overCaps(now);
}

export function pickDeployment(strategy: RoutingStrategy, states: DeploymentState[], x: Exclude, now: number, random: Random): DeploymentState | undefined {
  switch (strategy) {
    case "weighted":
      return pickWeighted(states, x, now, random);
    case "least-busy":
      return pickLowest(states, x, now, random, inFlightOf);
    case "latency":
      return pickTwoChoices(states, x, now, random);
    case "usage":
      return pickLowest(states, x, now, random, tokensOf);
    default: {
      const never: never = strategy;
      return never;
    }
  }
}

const inFlightOf = (s: DeploymentState): number => s.inFlight;
const tokensOf = (s: DeploymentState, now: number): number => s.tokens(now);

/** At random, in proportion to `weight`; weight-0 deployments only when nothing else is eligible. */
function pickWeighted(states: DeploymentState[], x: Exclude, now: number, random: Random): DeploymentState | undefined {
  let total = 0;
  let spare: DeploymentState | undefined;
  for (let i = 0; i < states.length; i++) {
    const s = states[i] as DeploymentState;
    if (!eligible(s, x, now)) continue;
    total += s.route.weight;
    spare ??= s;
  }
  if (total <= 0) return spare;
  let r = random() * total;
  let last: DeploymentState | undefined;
  for (let i = 0; i < states.length; i++) {
    const s = states[i] as DeploymentState;
    if (s.route.weight <= 0 || !eligible(s, x, now)) continue;
    last = s;
    r -= s.route.weight;
    if (r < 0) return s;
  }
  return last;
}

/** The eligible deployment with the lowest `measure`, ties broken at random (reservoir of one). */
function pickLowest(
  states: DeploymentState[],
  x: Exclude,
  now: number,
  random: Random,
  measure: (s: DeploymentState, now: number) => number,
): DeploymentState | undefined {
  let best: DeploymentState | undefined;
  let bestValue = Infinity;
  let ties = 0;
  for (let i = 0; i < states.length; i++) {
    const s = states[i] as DeploymentState;
    if (!eligible(s, x, now)) continue;
    const v = measure(s, now);
    if (v < bestValue) {
      best = s;
      bestValue = v;
      ties = 1;
    } else if (v === bestValue && random() * ++ties < 1) best = s;
  }
  return best;
}

/** Power of two choices: two eligible deployments at random, the one with the lower peak-EWMA cost. */
function pickTwoChoices(states: DeploymentState[], x: Exclude, now: number, random: Random): DeploymentState | undefined {
  let n = 0;
  for (let i = 0; i < states.length; i++) if (eligible(states[i] as DeploymentState, x, now)) n++;
  if (n === 0) return undefined;
  const a = Math.floor(random() * n);
  let b = n > 1 ? Math.floor(random() * (n - 1)) : a;
  if (n > 1 && b >= a) b++;
  let first: DeploymentState | undefined;
  let second: DeploymentState | undefined;
  for (let i = 0, k = 0; i < states.length && (!first || !second); i++) {
    const s = states[i] as DeploymentState;
    if (!eligible(s, x, now)) continue;
    if (k === a) first = s;
    if (k === b) second = s;
    k++;
  }
  if (!first || !second) return first ?? second;
  const ca = costOf(first);
  const cb = costOf(second);
  return ca < cb || (ca === cb && random() < 0.5) ? first : second;
}

function costOf(s: DeploymentState): number {
  const latency = s.latencyMs > 0 ? s.latencyMs : s.inFlight > 0 ? UNSAMPLED_PENALTY_MS : 0;
  return latency * (s.inFlight + 1);
}
