// The trace, response-store and WebSocket settings of proxy_settings, each with its defaults.

import type { z } from "zod";
import type { ResponseStateSettings, TraceSettings, WebSocketSettings } from "./config-types.js";
import type { configSchema } from "./schema.js";

type RawConfig = z.infer<typeof configSchema>;

export function tracesOf(raw: RawConfig): TraceSettings {
  const traces = raw.proxy_settings?.traces ?? {};
  const storage = raw.proxy_settings?.logging?.full_request_storage;
  return {
    capture: traces.capture ?? (storage?.enabled === true ? "full" : "metadata"), // yaLLMproxy's full request storage
    maxBodyBytes: traces.max_body_bytes ?? 256 * 1024,
    maxEvents: traces.max_events ?? 5000,
    retentionHours: traces.retention_hours ?? storage?.retention_hours ?? 48,
    queueSize: traces.queue_size ?? 10_000,
    batchSize: traces.batch_size ?? 200,
    flushIntervalMs: traces.flush_interval_ms ?? 500,
  };
}

export function responseStateOf(raw: RawConfig): ResponseStateSettings {
  const state = raw.proxy_settings?.responses?.state ?? {};
  return {
    persistence: state.persistence ?? "database",
    maxMemoryEntries: state.max_memory_entries ?? 10_000,
    maxMemoryBytes: state.max_memory_bytes ?? 64 * 1024 * 1024,
    ttlSeconds: state.ttl_seconds ?? 30 * 24 * 3600,
    cleanupIntervalSeconds: state.cleanup_interval_seconds ?? 300,
    capturePassthrough: state.capture_passthrough ?? true,
    maxInputItems: raw.proxy_settings?.responses?.max_input_items ?? 100_000,
    rawReasoning: raw.proxy_settings?.responses?.reasoning ?? "both",
  };
}

export function webSocketOf(raw: RawConfig, bodyLimitBytes: number): WebSocketSettings {
  const ws = raw.proxy_settings?.responses?.websocket ?? {};
  const mb = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 1024 * 1024));
  return {
    maxFrameBytes: mb(ws.max_frame_mb) ?? bodyLimitBytes,
    idleTimeoutMs: Math.round((ws.idle_timeout_seconds ?? 600) * 1000),
    maxAgeMs: Math.round((ws.max_connection_minutes ?? 60) * 60_000),
    maxTurns: ws.max_turns ?? 10_000,
    chainMaxBytes: mb(ws.chain_max_mb) ?? 64 * 1024 * 1024,
    chainMaxTurns: ws.chain_max_turns ?? 1000,
  };
}
