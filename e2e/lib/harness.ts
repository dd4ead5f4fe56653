// Test harness: real HTTP upstream servers on loopback and a proxy on an ephemeral port.

import { once } from "node:events";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, parseConfigText } from "@yallmproxy/proxy";
import { pino } from "pino";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  json: Record<string, unknown> | undefined;
  receivedAt: number;
  /** When the proxy closed this request's connection or aborted it (performance.now()). */
  closedAt?: number;
}

export type UpstreamHandler = (req: RecordedRequest, res: ServerResponse, index: number) => void | Promise<void>;

export interface Upstream {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A scripted upstream: `handler` answers each request; every request is recorded. */
export async function startUpstream(handler: UpstreamHandler): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      const rec: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, json, receivedAt: performance.now() };
      requests.push(rec);
      res.on("close", () => {
        if (!res.writableFinished) rec.closedAt = performance.now();
      });
      Promise.resolve(handler(rec, res, requests.length - 1)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function sseHead(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

export interface RunningProxy {
  url: string;
  /** Every log line the proxy wrote, parsed. */
  logs(): Array<Record<string, unknown>>;
  logText(): string;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 with a config given as YAML text. */
export async function startProxy(yaml: string, env: Record<string, string> = {}, opts: { configPath?: string } = {}): Promise<RunningProxy> {
  // Every proxy gets a fresh SQLite file of its own unless the test names a database.
  const dir = mkdtempSync(join(tmpdir(), "yallmp-test-"));
  const withDb = { DATABASE_URL: `file:${join(dir, "proxy.db")}`, ...env };
  const { config } = parseConfigText(yaml, opts.configPath ?? join(dir, "config.yaml"), withDb, withDb);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level: "info" }, sink);
  const app = await buildApp({ config, logger });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url: address,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    logText: () => lines.join("\n"),
    close: () => app.close(),
  };
}

/** Chat completion chunk as OpenAI streams it. */
export function chatChunk(delta: Record<string, unknown>, opts: { index?: number; finish?: string | null; id?: string; model?: string } = {}): string {
  return `data: ${JSON.stringify({ id: opts.id ?? "chatcmpl-up", object: "chat.completion.chunk", created: 1700000000, model: opts.model ?? "up-model", choices: [{ index: opts.index ?? 0, delta, logprobs: null, finish_reason: opts.finish ?? null }] })}\n\n`;
}

export function chatCompletion(content: string, opts: { model?: string; usage?: Record<string, number> } = {}): Record<string, unknown> {
  return {
    id: "chatcmpl-up",
    object: "chat.completion",
    created: 1700000000,
    model: opts.model ?? "up-model",
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage: opts.usage ?? { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ProxyProcess {
  url: string;
  /** The process's working directory, holding its config.yaml. */
  cwd: string;
  child: import("node:child_process").ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs the proxy from source as its own process (for crash and multi-replica tests). */
export async function spawnProxy(yaml: string, env: Record<string, string> = {}): Promise<ProxyProcess> {
  const { spawn } = await import("node:child_process");
  const { writeFileSync } = await import("node:fs");
  const { createServer } = await import("node:net");
  const dir = mkdtempSync(join(tmpdir(), "yallmp-proc-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, yaml);
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const root = new URL("../../", import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    ["--conditions=yallmproxy-source", "--import", new URL("node_modules/tsx/dist/loader.mjs", `file://${root}`).href, join(root, "apps/proxy/src/main.ts")],
    {
      cwd: dir,
      env: { ...process.env, YALLMP_CONFIG: configPath, YALLMP_PORT: String(port), YALLMP_HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`proxy exited early:\n${out}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      await sleep(100);
    }
  }
  return {
    url,
    cwd: dir,
    child,
    output: () => out,
    kill: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill(signal);
      await exited;
    },
  };
}
