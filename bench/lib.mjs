// What the bench scripts share: the forked upstream and floor, the built proxy on a config of one
// OpenAI-compatible model (trace capture and app keys as each case asks), and the request cases.

import { fork, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentBody } from "./agent-body.mjs";

export const here = new URL(".", import.meta.url).pathname;
export const root = join(here, "..");
export const BENCH_KEY = "bench-app-key-0123456789";
/** Key limits set too high to refuse anything, so every request pays for the counting. */
export const NO_LIMIT = "rpm_limit: 100000000, tpm_limit: 1000000000000, max_budget: 1000000, budget_duration: 30d";

const children = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));
export function stopAll() {
  for (const c of children) c.kill("SIGTERM");
}

export async function startForked(file, env = {}) {
  const child = fork(join(here, file), { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  children.push(child);
  const [msg] = await once(child, "message");
  return { ...msg, child, pid: child.pid };
}

export async function freePort() {
  const srv = createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  srv.close();
  return port;
}

/**
 * The proxy's config for a case: `capture` off|metadata|full, `appKeys` on or off; `deployments`
 * entries of the one model (each its own upstream key) and their `strategy`; `usage` and `keyFields` as YAML flow text.
 */
export function proxyConfig(upstreamPort, { capture = "metadata", appKeys = false, extraYaml = "", deployments = 1, strategy, usage, keyFields } = {}) {
  const entries = Array.from(
    { length: deployments },
    (_, i) => `  - model_name: bench
    model_params: { api_type: openai, api_base: "http://127.0.0.1:${upstreamPort}/v1", api_key: bench-key${i ? `-${i}` : ""}, model: bench-model }`,
  );
  const key = `{ key_id: bench, secret: ${BENCH_KEY}${keyFields ? `, ${keyFields}` : ""} }`;
  return `model_list:
${entries.join("\n")}
router_settings: { num_retries: 0${strategy ? `, routing_strategy: ${strategy}` : ""} }
proxy_settings:
  traces: { capture: ${capture} }
${usage ? `  usage: ${usage}\n` : ""}${appKeys ? `app_keys:\n  enabled: true\n  keys:\n    - ${key}\n` : ""}${extraYaml}`;
}

/**
 * Starts the built proxy and waits for /health. `command` wraps node (valgrind, say); `nodeArgs` go
 * before the entry point. The database is in a folder of its own beside the config's, as in the shipped
 * layout (configs/, data/); `BENCH_SHARED_DIR=1` puts both in one folder.
 */
export async function startProxy(upstreamPort, options = {}) {
  const { command, nodeArgs = [], waitMs = 60_000, quiet = false, proxyRoot = root, ipc = false, env = {} } = options;
  const dir = mkdtempSync(join(tmpdir(), "yallmp-bench-"));
  const dataDir = process.env.BENCH_SHARED_DIR === "1" ? dir : join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  const config = join(dir, "config.yaml");
  writeFileSync(config, proxyConfig(upstreamPort, options));
  const port = await freePort();
  const argv = [...nodeArgs, join(proxyRoot, "apps/proxy/dist/main.js")];
  const [cmd, args] = command ? [command[0], [...command.slice(1), process.execPath, ...argv]] : [process.execPath, argv];
  const child = spawn(cmd, args, {
    env: {
      ...process.env,
      ...env,
      YALLMP_CONFIG: config,
      YALLMP_PORT: String(port),
      YALLMP_HOST: "127.0.0.1",
      DATABASE_URL: `file:${join(dataDir, "state.db")}`,
    },
    stdio: ["ignore", "ignore", quiet ? "ignore" : "inherit", ...(ipc ? ["ipc"] : [])],
  });
  children.push(child);
  for (const end = Date.now() + waitMs; Date.now() < end;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return { port, child, pid: child.pid, dir };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("proxy did not start");
}

/** CPU time (user + system) a process has used, in ms; `thread` reads one thread. Linux only. */
export function cpuMs(pid, thread) {
  const file = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
  const fields = readFileSync(file, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

const SHORT = [{ role: "user", content: "Say something about foxes." }];

/**
 * A request case: the path and body for the proxy (model `bench`) and for a direct call or the
 * floor (the upstream's model name, chat only). Sizes are the JSON's length in bytes.
 */
export function requestCase(name, { stream = false } = {}) {
  const m = /^(chat|messages|responses)(?:-(\d+)(k|m))?$/.exec(name);
  if (!m) throw new Error(`unknown case ${name}`);
  const [, format, n, unit] = m;
  const size = n ? Number(n) * (unit === "m" ? 1_000_000 : 1000) : 0;
  const path = { chat: "/v1/chat/completions", messages: "/v1/messages", responses: "/v1/responses" }[format];
  const make = (model) => {
    if (size) return agentBody(format, size, { model, stream });
    if (format === "chat") return { model, messages: SHORT, stream };
    if (format === "messages") return { model, max_tokens: 256, messages: SHORT, stream };
    return { model, input: SHORT[0].content, stream };
  };
  const proxyBody = JSON.stringify(make("bench"));
  return { name, format, path, stream, proxyBody, directBody: format === "chat" ? JSON.stringify(make("bench-model")) : undefined, bytes: proxyBody.length };
}

export function authHeaders(appKeys) {
  return { "content-type": "application/json", authorization: `Bearer ${appKeys ? BENCH_KEY : "bench"}` };
}
