// `previous_response_id` chains: the one walk from a stored response back to the first of its turns
// (a client continuing it, the dashboard showing it, a replay of it), and the history it replays.

import type { ResponseStore, StoredResponse } from "@yallmproxy/db";
import type { Caller } from "../auth.js";
import type { ModelRoute } from "../config/load-config.js";
import { Errors } from "../errors.js";

/** The most turns a chain may hold, for every walk (each turn is one store read). */
export const MAX_CHAIN_TURNS = 10_000;

export interface Chain {
  /** Oldest first, ending with the response the walk started from; empty when that one is unknown. */
  turns: StoredResponse[];
  /** How the walk ended: at the first turn, at an older turn gone (expired, deleted), or at the limit. */
  end: "first" | "broken" | "too_long";
}

/** The stored response `id`, when the caller may see it: another key's response is not theirs to find. */
export async function ownedResponse(store: ResponseStore, id: string, caller: Caller): Promise<StoredResponse | "not_found" | "not_owner"> {
  const found = await store.get(id);
  if (!found) return "not_found";
  if (found.ownerKeyId !== caller.keyId) return "not_owner";
  return found;
}

/**
 * Walks the chain ending at `id`. With an `owner`, a turn stored under another key is refused as not
 * found (404), as the client would see it; without one (the admin API) every turn is walked.
 */
export async function walkChain(store: ResponseStore, id: string, owner?: Caller): Promise<Chain> {
  const newestFirst: StoredResponse[] = [];
  let next: string | null = id;
  while (next) {
    if (newestFirst.length === MAX_CHAIN_TURNS) return { turns: newestFirst.reverse(), end: "too_long" };
    const found: StoredResponse | "not_found" | "not_owner" = owner ? await ownedResponse(store, next, owner) : ((await store.get(next)) ?? "not_found");
    if (found === "not_owner") throw Errors.responseNotFound(next);
    if (found === "not_found") return { turns: newestFirst.reverse(), end: newestFirst.length === 0 ? "first" : "broken" };
    newestFirst.push(found);
    next = found.previousResponseId;
  }
  return { turns: newestFirst.reverse(), end: "first" };
}

/**
 * The turns a client continues from `id`, oldest first; undefined when `id` itself is unknown. An
 * older turn gone breaks the whole history (OpenAI's 400), as does a chain past the limit.
 */
export async function chainToContinue(store: ResponseStore, id: string, caller: Caller): Promise<StoredResponse[] | undefined> {
  const chain = await walkChain(store, id, caller);
  if (chain.end === "too_long") throw Errors.chainTooDeep(MAX_CHAIN_TURNS);
  if (chain.end === "broken") throw Errors.previousResponseNotFound(id);
  return chain.turns.length === 0 ? undefined : chain.turns;
}

/** History items of a chain under a model's history policy. */
export function historyItems(
  chain: ReadonlyArray<Pick<StoredResponse, "inputItems" | "outputItems">>,
  policy: ModelRoute["history"],
): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const r of chain) {
    for (const item of [...r.inputItems, ...r.outputItems]) {
      if (item.type === "reasoning" && !policy.includeReasoning) continue;
      if (item.type === "message" && !policy.includeRefusals && Array.isArray(item.content)) {
        const content = item.content.filter((p: unknown) => !isRefusal(p));
        if (content.length === 0) continue;
        out.push({ ...item, content });
        continue;
      }
      out.push(item);
    }
  }
  return out;
}

function isRefusal(part: unknown): boolean {
  return typeof part === "object" && part !== null && "type" in part && part.type === "refusal";
}

const CALLS = new Set(["function_call", "custom_tool_call"]);
const OUTPUTS = new Set(["function_call_output", "custom_tool_call_output"]);

/** The `call_id` of the first tool output in `input` that answers no call of `history` or `input`. */
export function outputWithoutCall(history: ReadonlyArray<Record<string, unknown>>, input: readonly unknown[]): string | undefined {
  const calls = new Set<unknown>();
  for (const item of [...history, ...input]) if (isItem(item) && CALLS.has(String(item.type))) calls.add(item.call_id);
  for (const item of input)
    if (isItem(item) && OUTPUTS.has(String(item.type)) && typeof item.call_id === "string" && !calls.has(item.call_id)) return item.call_id;
  return undefined;
}

function isItem(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
