// The keepalive frame the proxy sends an Anthropic client while a slow upstream is silent.

import { formatMessagesSse } from "./messages-api.js";

export function encodeMessagesPing(): string {
  return formatMessagesSse("ping", { type: "ping" });
}
