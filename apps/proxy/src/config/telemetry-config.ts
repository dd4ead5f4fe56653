// OpenTelemetry export, configured by the standard `OTEL_*` environment variables only: with no
// OTLP endpoint set (or the SDK disabled, or both exporters `none`) there is nothing to load.

import { ConfigError } from "./config-types.js";

type Env = Record<string, string | undefined>;

interface OtlpTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface TelemetrySettings {
  serviceName: string;
  resourceAttributes: Record<string, string>;
  traces?: OtlpTarget & { scheduleDelayMs: number; exportTimeoutMs: number; maxQueueSize: number; maxExportBatchSize: number };
  metrics?: OtlpTarget & { intervalMs: number; exportTimeoutMs: number };
}

/** The telemetry settings from `env`, or undefined when nothing is to be exported. */
export function telemetrySettingsOf(env: Env): TelemetrySettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const problems: string[] = [];
  const traces = targetOf(env, "TRACES", "v1/traces", problems);
  const metrics = targetOf(env, "METRICS", "v1/metrics", problems);
  if (problems.length > 0) throw new ConfigError(problems);
  if (!traces && !metrics) return undefined;
  const n = (name: string, fallback: number, min = 1): number => numberOf(env, name, fallback, min, problems);
  const settings: TelemetrySettings = {
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "yallmproxy",
    resourceAttributes: pairsOf(env.OTEL_RESOURCE_ATTRIBUTES),
    ...(traces
      ? {
          traces: {
            ...traces,
            scheduleDelayMs: n("OTEL_BSP_SCHEDULE_DELAY", 5000, 0),
            exportTimeoutMs: n("OTEL_BSP_EXPORT_TIMEOUT", 30_000),
            maxQueueSize: n("OTEL_BSP_MAX_QUEUE_SIZE", 2048),
            maxExportBatchSize: n("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512),
          },
        }
      : {}),
    ...(metrics
      ? { metrics: { ...metrics, intervalMs: n("OTEL_METRIC_EXPORT_INTERVAL", 60_000), exportTimeoutMs: n("OTEL_METRIC_EXPORT_TIMEOUT", 30_000) } }
      : {}),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/**
 * One signal's target: its own endpoint used as given, else the common one with the signal's path
 * appended, as the OTLP exporter specification says; none when its exporter is `none`.
 */
function targetOf(env: Env, signal: "TRACES" | "METRICS", path: string, problems: string[]): OtlpTarget | undefined {
  const exporter = (env[`OTEL_${signal}_EXPORTER`] ?? "otlp").trim().toLowerCase();
  if (exporter === "none") return undefined;
  if (exporter !== "otlp") problems.push(`OTEL_${signal}_EXPORTER: only "otlp" or "none" is supported, not "${exporter}"`);
  const own = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  const common = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = own || (common ? `${common.replace(/\/+$/, "")}/${path}` : undefined);
  if (!url) return undefined;
  if (!/^https?:\/\/[^/]/.test(url)) problems.push(`OTEL_EXPORTER_OTLP_${own ? `${signal}_` : ""}ENDPOINT: not an http(s) URL`);
  // Collectors take OTLP/JSON on the same HTTP port as protobuf; gRPC is another port and protocol.
  const protocol = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
  if (protocol === "grpc") problems.push(`OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported; use the collector's OTLP/HTTP endpoint (port 4318)`);
  const headers = { ...pairsOf(env.OTEL_EXPORTER_OTLP_HEADERS), ...pairsOf(env[`OTEL_EXPORTER_OTLP_${signal}_HEADERS`]) };
  const timeoutMs = numberOf(env, `OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`, numberOf(env, "OTEL_EXPORTER_OTLP_TIMEOUT", 10_000, 1, problems), 1, problems);
  return { url, headers, timeoutMs };
}

/** `key1=value1,key2=value2`, values URL-decoded (the W3C Baggage form the OTel variables use). */
function pairsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? "").split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (key) out[key] = decode(part.slice(eq + 1).trim());
  }
  return out;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function numberOf(env: Env, name: string, fallback: number, min: number, problems: string[]): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    problems.push(`${name}: expected a whole number of milliseconds (or items) of at least ${min}, got "${text}"`);
    return fallback;
  }
  return value;
}
