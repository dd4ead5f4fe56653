// yaLLMproxy's `forwarder_settings` (a TCP forwarder) and `http_forwarder_settings` (an HTTP reverse
// proxy, optionally TLS): a second listening port in front of the proxy (or any other target). The
// FORWARD_* and HTTP_FORWARD_* environment variables override the file, as yaLLMproxy's scripts did.

import { z } from "zod";
import { boolish, numberish } from "./schema.js";

type Env = Record<string, string | undefined>;

export interface TcpForwarderSettings {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  /** Bytes read from one side before the other side must drain (yaLLMproxy's `--bufsize`). */
  bufferBytes: number;
  idleTimeoutMs: number;
  maxConnections: number;
  debug: boolean;
}

export interface HttpForwarderSettings {
  listenHost: string;
  listenPort: number;
  /** `scheme://host:port` of the target. */
  targetOrigin: string;
  /** Forward the client's Host header (else the target's own host:port is sent). */
  preserveHost: boolean;
  /** Wait for the target's headers, and for each gap in its body. */
  timeoutMs: number;
  maxConnections: number;
  debug: boolean;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Extra CA certificate (PEM) trusted for an https target, besides the system's. */
  targetCaFile: string | undefined;
}

/** The forwarders to start: only those enabled. */
export interface ForwarderSettings {
  tcp: TcpForwarderSettings | undefined;
  http: HttpForwarderSettings | undefined;
}

const port = numberish(z.number().int().min(0).max(65535));
const positive = numberish(z.number().positive());
const endpoint = z.object({ host: z.string().min(1).optional(), port: port.optional() }).loose();
const common = {
  enabled: boolish.optional(),
  debug: boolish.optional(),
  listen: endpoint.optional(),
  max_connections: numberish(z.number().int().min(1)).optional(),
};

const tcpSchema = z
  .object({ ...common, target: endpoint.optional(), buffer_bytes: numberish(z.number().int().min(1024)).optional(), idle_timeout_seconds: positive.optional() })
  .loose();

const httpSchema = z
  .object({
    ...common,
    preserve_host: boolish.optional(),
    timeout_seconds: positive.optional(),
    target: endpoint
      .extend({ scheme: z.enum(["http", "https"]).optional(), ca_file: z.string().min(1).optional() })
      .loose()
      .optional(),
    ssl: z.object({ enabled: boolish.optional(), cert_file: z.string().optional(), key_file: z.string().optional() }).loose().optional(),
  })
  .loose();

/** The environment's value of `name`, empty counting as unset (yaLLMproxy's scripts tested `-n`). */
function envOf(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function envWith<T>(env: Env, name: string, schema: z.ZodType<T>, problems: string[]): T | undefined {
  const raw = envOf(env, name);
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(`${name}: invalid value "${raw}" (${parsed.error.issues[0]?.message ?? "invalid"})`);
  return undefined;
}

/** yaLLMproxy's default target: the proxy's own host, or loopback when it listens on every address. */
function proxyHostOf(host: string): string {
  return host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
}

function sectionOf<T extends z.ZodType>(doc: Record<string, unknown>, key: string, schema: T, problems: string[]): z.infer<T> | undefined {
  if (!(key in doc) || doc[key] === null) return undefined;
  const parsed = schema.safeParse(doc[key]);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) problems.push(`${[key, ...issue.path.map(String)].join(".")}: ${issue.message}`);
  return undefined;
}

interface Ctx {
  env: Env;
  server: { host: string; port: number };
  problems: string[];
  warnings: string[];
}

function enabledOf(key: string, section: { enabled?: boolean } | undefined, envName: string, ctx: Ctx): boolean {
  const fromEnv = envWith(ctx.env, envName, boolish, ctx.problems);
  const enabled = fromEnv ?? section?.enabled ?? false;
  if (!enabled && section && section.enabled === undefined) {
    ctx.warnings.push(`${key}: not started: set ${key}.enabled: true (or ${envName}=true) to run it with the proxy (yaLLMproxy ran it as a separate script)`);
  }
  return enabled;
}

function tcpOf(doc: Record<string, unknown>, ctx: Ctx): TcpForwarderSettings | undefined {
  const s = sectionOf(doc, "forwarder_settings", tcpSchema, ctx.problems);
  if (!enabledOf("forwarder_settings", s, "FORWARD_ENABLED", ctx)) return undefined;
  const e = <T>(name: string, schema: z.ZodType<T>) => envWith(ctx.env, `FORWARD_${name}`, schema, ctx.problems);
  return {
    listenHost: e("LISTEN_HOST", z.string()) ?? s?.listen?.host ?? "0.0.0.0",
    listenPort: e("LISTEN_PORT", port) ?? s?.listen?.port ?? 6969,
    targetHost: e("TARGET_HOST", z.string()) ?? s?.target?.host ?? proxyHostOf(ctx.server.host),
    targetPort: e("TARGET_PORT", port) ?? s?.target?.port ?? ctx.server.port,
    bufferBytes: e("BUF_SIZE", numberish(z.number().int().min(1024))) ?? s?.buffer_bytes ?? 65536,
    idleTimeoutMs: Math.round((s?.idle_timeout_seconds ?? 600) * 1000),
    maxConnections: s?.max_connections ?? 1024,
    debug: e("DEBUG", boolish) ?? s?.debug ?? false,
  };
}

function httpOf(doc: Record<string, unknown>, ctx: Ctx): HttpForwarderSettings | undefined {
  const s = sectionOf(doc, "http_forwarder_settings", httpSchema, ctx.problems);
  if (!enabledOf("http_forwarder_settings", s, "HTTP_FORWARD_ENABLED", ctx)) return undefined;
  const e = <T>(name: string, schema: z.ZodType<T>) => envWith(ctx.env, `HTTP_FORWARD_${name}`, schema, ctx.problems);
  const scheme = e("TARGET_SCHEME", z.enum(["http", "https"])) ?? s?.target?.scheme ?? "http";
  const host = e("TARGET_HOST", z.string()) ?? s?.target?.host ?? proxyHostOf(ctx.server.host);
  const targetPort = e("TARGET_PORT", port) ?? s?.target?.port ?? ctx.server.port;
  const sslOn = e("SSL_ENABLED", boolish) ?? s?.ssl?.enabled ?? false;
  const certFile = e("SSL_CERT", z.string()) ?? (s?.ssl?.cert_file || undefined);
  const keyFile = e("SSL_KEY", z.string()) ?? (s?.ssl?.key_file || undefined);
  // yaLLMproxy served plain HTTP with a warning here; serving plain text when TLS was asked for is refused.
  if (sslOn && (!certFile || !keyFile)) ctx.problems.push("http_forwarder_settings.ssl: enabled, but cert_file and key_file are not both set");
  const timeout = e("TIMEOUT", positive) ?? s?.timeout_seconds ?? 600;
  let targetOrigin = "";
  try {
    targetOrigin = new URL(`${scheme}://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${targetPort}`).origin;
  } catch {
    ctx.problems.push(`http_forwarder_settings.target.host: not a host name: "${host}"`);
  }
  return {
    listenHost: e("LISTEN_HOST", z.string()) ?? s?.listen?.host ?? "0.0.0.0",
    listenPort: e("LISTEN_PORT", port) ?? s?.listen?.port ?? 6969,
    targetOrigin,
    preserveHost: e("PRESERVE_HOST", boolish) ?? s?.preserve_host ?? true,
    timeoutMs: Math.round(timeout * 1000),
    maxConnections: s?.max_connections ?? 1024,
    debug: e("DEBUG", boolish) ?? s?.debug ?? false,
    tls: sslOn && certFile && keyFile ? { certFile, keyFile } : undefined,
    targetCaFile: s?.target?.ca_file,
  };
}

const ANY_ADDRESS = new Set(["0.0.0.0", "::", ""]);
const overlaps = (a: string, b: string) => a === b || ANY_ADDRESS.has(a) || ANY_ADDRESS.has(b);

/** The enabled forwarders; a bad value or two listeners on one port is a problem, a section left off a warning. */
export function forwardersOf(
  doc: Record<string, unknown>,
  env: Env,
  server: { host: string; port: number },
  problems: string[],
  warnings: string[],
): ForwarderSettings {
  const ctx: Ctx = { env, server, problems, warnings };
  const tcp = tcpOf(doc, ctx);
  const http = httpOf(doc, ctx);
  const listeners: Array<[string, string, number]> = [["proxy_settings.server", server.host, server.port]];
  if (tcp) listeners.push(["forwarder_settings.listen", tcp.listenHost, tcp.listenPort]);
  if (http) listeners.push(["http_forwarder_settings.listen", http.listenHost, http.listenPort]);
  for (let i = 1; i < listeners.length; i++) {
    const [path, host, p] = listeners[i] as [string, string, number];
    if (p === 0) continue;
    for (const [other, otherHost, otherPort] of listeners.slice(0, i)) {
      if (otherPort === p && overlaps(host, otherHost)) problems.push(`${path}: port ${p} is also ${other}'s`);
    }
  }
  if (tcp && tcp.listenPort === tcp.targetPort && overlaps(tcp.listenHost, tcp.targetHost)) {
    problems.push(`forwarder_settings.target: forwards to its own listening port ${tcp.listenPort}`);
  }
  return { tcp, http };
}
