// "chat → responses": the client's wire format and the backend's, highlighted when they differ.

import type { WireFormat } from "../api/types";

export function FormatFlow({ client, backend }: { client: WireFormat; backend: WireFormat | null }) {
  const translated = backend !== null && backend !== client;
  return (
    <span className={`format-flow${translated ? " translated" : ""}`} title={translated ? "translated between formats" : "same format"}>
      {client}
      <span aria-hidden="true"> → </span>
      <span className="sr-only"> to </span>
      {backend ?? "…"}
    </span>
  );
}
