// Starts the proxy: loads the config (YALLMP_CONFIG, default configs/config.yaml), logs its warnings,
// listens on YALLMP_HOST:YALLMP_PORT (default 127.0.0.1:7979) and starts the forwarders it enables,
// says so in one line on stderr, and on SIGINT/SIGTERM drains the requests in flight
// (proxy_settings.server.shutdown_grace_seconds) before it exits; a second signal ends it at once.

import { destination as pinoDestination, pino } from "pino";
import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/load-config.js";
import { ForwarderStartError, startForwarders } from "./forwarders/forwarders.js";
import { dashboardBuilt } from "./routes/dashboard.js";
import { shutdownGracefully } from "./shutdown.js";
import { startupBanner } from "./startup-banner.js";

// Lines are gathered and handed to the synchronous writer per 4 KiB: no syscall per line and no
// thread-pool handoff per write (which costs more than the write on a busy 2-core machine). Gathered
// here because sonic-boom's own buffer measures its whole pending text in bytes on every line. Log
// objects never carry headers, keys or bodies, so no redaction pass is needed.
const writer = pinoDestination({ dest: 1, sync: true });
const pending: string[] = [];
let pendingLength = 0;
const flushLog = () => {
  if (pending.length === 0) return;
  const text = pending.join("");
  pending.length = 0;
  pendingLength = 0;
  writer.write(text);
};
const destination = {
  write(line: string): void {
    pending.push(line);
    pendingLength += line.length;
    if (pendingLength >= 4096) flushLog();
  },
};
const logger = pino({ level: process.env.LOG_LEVEL ?? "info" }, destination);
process.on("exit", () => {
  flushLog();
  writer.flushSync();
});
// Quiet periods still reach the log within a second.
setInterval(flushLog, 1000).unref();

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`yaLLMproxy: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { config, warnings } = loaded;
  logger.level = config.logLevel;
  for (const w of warnings) logger.warn({ config: config.source.path }, w);
  const app = await buildApp({ config, logger, watchConfig: true });
  // Every background task handles its own errors; this catches one that slipped through, without exiting.
  process.on("unhandledRejection", (err) => app.runtime.ops.backgroundError("unhandled_rejection", err));
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  let forwarders;
  try {
    forwarders = await startForwarders(config.forwarders, logger);
  } catch (err) {
    if (!(err instanceof ForwarderStartError)) throw err;
    process.stderr.write(`yaLLMproxy: ${err.message}\n`);
    process.exit(1);
  }
  const adminOn = config.adminPassword !== undefined;
  const built = dashboardBuilt();
  logger.info(
    { address, models: [...config.models.keys()], config: config.source.path, dashboard: built ? `${address}/dashboard` : null, admin: adminOn ? "on" : "off" },
    "yaLLMproxy listening",
  );
  // For the person at the terminal; on stderr, so stdout stays JSON lines only.
  process.stderr.write(`${startupBanner({ address, adminOn, dashboardBuilt: built, forwarding: forwarders.running.map((f) => f.url) })}\n`);
  const stop = async (signal: string) => {
    logger.info({ signal }, "shutting down");
    await shutdownGracefully(app, app.runtime.config.server.shutdownGraceMs, logger, forwarders);
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err: unknown) => {
  logger.fatal({ err }, "failed to start");
  process.exit(1);
});
