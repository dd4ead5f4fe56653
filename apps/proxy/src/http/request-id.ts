// Ids of requests (and of each turn of a Responses WebSocket), which key the trace table.

import { randomUUID } from "node:crypto";

/**
 * A UUID version 7: the time in milliseconds, then random bits. Request ids key the trace table, and
 * ids that grow with time are appended to its index instead of landing on a random page each.
 */
export function timeOrderedId(now = Date.now()): string {
  const random = randomUUID();
  const time = now.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
