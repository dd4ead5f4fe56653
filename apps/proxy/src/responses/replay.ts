// Replay from the dashboard: a stored turn (or every turn of its chain, in order) sent again to the
// same or another model as the key that made it, each a Response of its own whose
// `metadata.replay_of` names the original; the last one is streamed to the admin.

import type { StoredResponse } from "@yallmproxy/db";
import type { Caller } from "../auth.js";
import { Errors } from "../errors.js";
import { type ClientReply, type ClientRequest, DetachedReply, detachedRequest } from "../pipeline/client.js";
import type { ProxyRuntime } from "../runtime.js";
import { MAX_CHAIN_TURNS, walkChain } from "./chain.js";
import { createResponse } from "./create.js";
import type { ResponsesBody } from "./records.js";

export interface ReplayOrder {
  responseId: string;
  model: string;
  mode: "turn" | "chain";
}

/** The request of a replayed turn: its own fields and items, on `model`, after `previous`. */
function turnBody(turn: StoredResponse, model: string, previous: string | null, stream: boolean): ResponsesBody {
  const { previous_response_id: _p, background: _b, stream: _s, store: _st, ...fields } = turn.request;
  const metadata = { ...(isRecord(fields.metadata) ? fields.metadata : {}), replay_of: turn.id };
  return { ...fields, model, input: turn.inputItems, previous_response_id: previous, metadata, store: true, stream };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The caller a stored response was made by, as the config knows that key now. */
function ownerOf(runtime: ProxyRuntime, turn: StoredResponse): Caller {
  const key = turn.ownerKeyId === undefined ? undefined : runtime.config.appKeys.keys.find((k) => k.keyId === turn.ownerKeyId);
  return { keyId: key?.keyId, key };
}

export async function replay(runtime: ProxyRuntime, request: ClientRequest, reply: ClientReply, order: ReplayOrder): Promise<void> {
  if (!runtime.config.models.has(order.model)) throw Errors.modelNotFound(order.model);
  const original = await runtime.responses.get(order.responseId);
  if (!original) throw Errors.responseNotFound(order.responseId);
  const owner = ownerOf(runtime, original);
  let previous = original.previousResponseId;
  if (order.mode === "chain") {
    const chain = await walkChain(runtime.responses, original.id);
    if (chain.end === "too_long") throw Errors.chainTooDeep(MAX_CHAIN_TURNS);
    previous = null;
    let n = 0;
    for (const turn of chain.turns.slice(0, -1)) {
      const turnReply = new DetachedReply();
      const turnRequest = detachedRequest(`${request.id}.${++n}`, owner, request);
      const stored = await createResponse({ runtime, request: turnRequest, reply: turnReply, body: turnBody(turn, order.model, previous, false) });
      if (turnReply.status >= 400) {
        // The upstream's own refusal, as it came.
        reply
          .code(turnReply.status)
          .header("content-type", "application/json")
          .send(turnReply.body ?? "");
        return;
      }
      // A run's answer is always heard (records.ts), so it has an id.
      if (stored === undefined) throw Errors.internal();
      previous = stored;
    }
  }
  request.caller = owner;
  await createResponse({ runtime, request, reply, body: turnBody(original, order.model, previous, true) });
}
