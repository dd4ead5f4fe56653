// The TCP forwarder (`forwarder_settings`): every connection accepted on the listening port is joined
// byte for byte to a new connection to the target. Each direction is a stream pipeline, so a slow
// reader on one side pauses the other instead of piling bytes up in memory; a half-close is passed on.

import { type AddressInfo, type NetConnectOpts, type Server, type Socket, connect, createServer } from "node:net";
import { pipeline } from "node:stream";
import type { TcpForwarderSettings } from "../config/forwarder-config.js";
import type { ForwarderLog, RunningForwarder } from "./forwarder-types.js";

const CONNECT_TIMEOUT_MS = 10_000;

/** Starts listening; rejects when the port cannot be had. */
export async function startTcpForwarder(settings: TcpForwarderSettings, log: ForwarderLog): Promise<RunningForwarder> {
  const open = new Set<Socket>();
  let ids = 0;
  const server: Server = createServer({ allowHalfOpen: true, highWaterMark: settings.bufferBytes, noDelay: true }, (client) => {
    const id = ++ids;
    open.add(client);
    client.once("close", () => open.delete(client));
    join(client, id, settings, open, log);
  });
  server.maxConnections = settings.maxConnections;
  // A listener error after start-up (rare: EMFILE on accept) is logged; the forwarder keeps running.
  const listening = new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.listenPort, settings.listenHost, () => {
      server.off("error", reject);
      server.on("error", (err) => log.warn({ err: err.message }, "tcp forwarder: listener error"));
      resolve();
    });
  });
  await listening;
  const address = server.address() as AddressInfo;
  return {
    kind: "tcp",
    port: address.port,
    url: `tcp://${address.address}:${address.port}`,
    close: (graceMs) => closeWithGrace(server, open, graceMs),
  };
}

function join(client: Socket, id: number, settings: TcpForwarderSettings, open: Set<Socket>, log: ForwarderLog): void {
  const started = Date.now();
  // Node passes highWaterMark on to the socket's streams; its types do not list it.
  const options: NetConnectOpts & { highWaterMark: number } = {
    host: settings.targetHost,
    port: settings.targetPort,
    allowHalfOpen: true,
    noDelay: true,
    highWaterMark: settings.bufferBytes,
  };
  const target = connect(options);
  open.add(target);
  target.once("close", () => open.delete(target));
  // Until connected the timer bounds the connect; after that, silence in both directions.
  target.setTimeout(CONNECT_TIMEOUT_MS);
  target.once("connect", () => target.setTimeout(settings.idleTimeoutMs));
  client.setTimeout(settings.idleTimeoutMs);
  const onIdle = () => {
    log.debug({ conn: id }, "tcp forwarder: connection idle, closed");
    client.destroy();
    target.destroy();
  };
  client.on("timeout", onIdle);
  target.on("timeout", onIdle);
  log.debug({ conn: id, from: `${client.remoteAddress}:${client.remotePort}` }, "tcp forwarder: connection accepted");

  let pending = 2;
  let failure: Error | undefined;
  const done = (err: Error | null | undefined) => {
    if (err && !failure) failure = err;
    if (--pending > 0) return;
    client.destroy();
    target.destroy();
    const fields = { conn: id, ms: Date.now() - started, sent: client.bytesRead, received: client.bytesWritten };
    if (failure && !isClosedByPeer(failure)) log.warn({ ...fields, err: failure.message }, "tcp forwarder: connection failed");
    else log.debug(fields, "tcp forwarder: connection closed");
  };
  // pipeline destroys both sockets when either side breaks, so the second pipeline ends too.
  pipeline(client, target, done);
  pipeline(target, client, done);
}

/** A reset or a socket destroyed by the other direction is an ordinary end, not a failure worth a warning. */
function isClosedByPeer(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE";
}

/** Stops accepting at once; open connections get `graceMs` to end by themselves, then are cut. */
function closeWithGrace(server: Server, open: Set<Socket>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const deadline = setTimeout(() => {
    for (const socket of open) socket.destroy();
  }, graceMs);
  return closed.finally(() => clearTimeout(deadline));
}
