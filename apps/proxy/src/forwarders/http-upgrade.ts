// An upgrade request (a WebSocket) through the HTTP forwarder: the request head is sent on to the
// target with the hop-by-hop headers replaced by the upgrade's own, and from then on the two
// connections are joined byte for byte, with backpressure both ways.

import type { IncomingMessage } from "node:http";
import { type Socket, connect as connectTcp, isIP } from "node:net";
import { pipeline } from "node:stream";
import { connect as connectTls } from "node:tls";
import type { HttpForwarderSettings } from "../config/forwarder-config.js";
import { endToEndHeaders } from "./forward-headers.js";
import type { ForwarderLog } from "./forwarder-types.js";

/** How an upgrade reaches the target: the settings, the CAs an https target is checked against, the open sockets to cut at shutdown. */
interface UpgradeContext {
  settings: HttpForwarderSettings;
  ca: string[] | undefined;
  open: Set<Socket>;
  log: ForwarderLog;
}

function targetSocket(settings: HttpForwarderSettings, ca: string[] | undefined): Socket {
  const url = new URL(settings.targetOrigin);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "http:") return connectTcp({ host, port: Number(url.port) || 80, noDelay: true });
  return connectTls({ host, port: Number(url.port) || 443, ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}) });
}

/** The request head as the target is to read it. */
function requestHead(req: IncomingMessage, settings: HttpForwarderSettings): string {
  const pairs = endToEndHeaders(req.rawHeaders, { keepHost: settings.preserveHost });
  const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`];
  if (!settings.preserveHost) lines.push(`host: ${new URL(settings.targetOrigin).host}`);
  for (let i = 0; i + 1 < pairs.length; i += 2) lines.push(`${pairs[i] as string}: ${pairs[i + 1] as string}`);
  lines.push("connection: Upgrade", `upgrade: ${String(req.headers.upgrade)}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

export function tunnelUpgrade(req: IncomingMessage, client: Socket, head: Buffer, { settings, ca, open, log }: UpgradeContext): void {
  if (!(req.url ?? "").startsWith("/") || /[\r\n]/.test(String(req.headers.upgrade))) {
    client.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    return;
  }
  const target = targetSocket(settings, ca);
  for (const s of [client, target]) {
    open.add(s);
    s.once("close", () => open.delete(s));
    s.setTimeout(settings.timeoutMs, () => s.destroy());
  }
  target.write(requestHead(req, settings));
  if (head.length > 0) target.write(head);
  let pending = 2;
  const done = (err: Error | null | undefined) => {
    if (err && (err as NodeJS.ErrnoException).code === "ECONNREFUSED" && client.writable) {
      client.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    }
    if (err) log.debug({ path: (req.url ?? "").split("?")[0], err: err.message }, "http forwarder: upgraded connection ended");
    if (--pending === 0) {
      client.destroy();
      target.destroy();
    }
  };
  pipeline(client, target, done);
  pipeline(target, client, done);
}
