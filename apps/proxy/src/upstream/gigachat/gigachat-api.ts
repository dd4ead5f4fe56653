// GigaChat's wire shapes as this backend reads them, and the tool-call ids it hands out. An id carries
// GigaChat's `functions_state_id` when the answer had one, so the next turn can send it back.

import { randomBytes } from "node:crypto";

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const STATE_PREFIX = "call_gc_";
const STATE_ID = /^[0-9A-Za-z-]{1,64}$/;

/** A tool-call id: GigaChat's state id inside when it gave one, else random. */
export function toolCallId(stateId: unknown, random: () => string = randomHex): string {
  return typeof stateId === "string" && STATE_ID.test(stateId) ? `${STATE_PREFIX}${stateId}` : `call_${random()}`;
}

export function stateIdOfCallId(id: string): string | undefined {
  if (!id.startsWith(STATE_PREFIX)) return undefined;
  const rest = id.slice(STATE_PREFIX.length);
  return STATE_ID.test(rest) ? rest : undefined;
}

export function randomHex(): string {
  return randomBytes(12).toString("hex");
}
