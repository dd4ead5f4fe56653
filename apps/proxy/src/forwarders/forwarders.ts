// Starts the forwarders a config enables beside the proxy, and stops them together at shutdown.

import type { Logger } from "pino";
import type { ForwarderSettings } from "../config/forwarder-config.js";
import type { RunningForwarder } from "./forwarder-types.js";
import { startHttpForwarder } from "./http-forwarder.js";
import { startTcpForwarder } from "./tcp-forwarder.js";

export interface Forwarders {
  running: RunningForwarder[];
  /** Stops accepting at once; open connections get `graceMs` to end, then are cut. */
  close(graceMs: number): Promise<void>;
}

export class ForwarderStartError extends Error {}

function logFor(logger: Logger, kind: string, debug: boolean): Logger {
  return logger.child({ forwarder: kind }, debug ? { level: "debug" } : {});
}

/** Starts each enabled forwarder; if one cannot listen, the others are closed and the error names its section. */
export async function startForwarders(settings: ForwarderSettings, logger: Logger): Promise<Forwarders> {
  const running: RunningForwarder[] = [];
  const close = async (graceMs: number) => {
    await Promise.all(running.map((f) => f.close(graceMs)));
  };
  const starts: Array<[string, string, () => Promise<RunningForwarder>]> = [];
  if (settings.tcp) {
    const tcp = settings.tcp;
    starts.push(["forwarder_settings", `${tcp.listenHost}:${tcp.listenPort}`, () => startTcpForwarder(tcp, logFor(logger, "tcp", tcp.debug))]);
  }
  if (settings.http) {
    const http = settings.http;
    starts.push(["http_forwarder_settings", `${http.listenHost}:${http.listenPort}`, () => startHttpForwarder(http, logFor(logger, "http", http.debug))]);
  }
  for (const [section, where, start] of starts) {
    try {
      running.push(await start());
    } catch (err) {
      await close(0);
      const e = err as NodeJS.ErrnoException;
      const what = e.syscall === "listen" ? `cannot listen on ${where} (${e.code ?? e.message})` : e.message;
      throw new ForwarderStartError(`${section}: ${what}`);
    }
  }
  for (const f of running) {
    const target = f.kind === "tcp" ? `${settings.tcp?.targetHost}:${settings.tcp?.targetPort}` : settings.http?.targetOrigin;
    logger.info({ forwarder: f.kind, listen: f.url, target }, "forwarder listening");
  }
  return { running, close };
}
