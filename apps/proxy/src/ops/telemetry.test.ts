import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../config/config-types.js";
import { telemetrySettingsOf } from "../config/telemetry-config.js";

describe("telemetry settings from the OTEL_* variables", () => {
  it("is off without an endpoint, with the SDK disabled, or with both exporters none", () => {
    expect(telemetrySettingsOf({})).toBeUndefined();
    expect(telemetrySettingsOf({ OTEL_SERVICE_NAME: "x" })).toBeUndefined();
    expect(telemetrySettingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toBeUndefined();
    expect(telemetrySettingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none" })).toBeUndefined();
  });

  it("appends the signal paths to the common endpoint and takes a signal's own endpoint as given", () => {
    const s = telemetrySettingsOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "https://metrics.example/otlp/m",
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20abc,x-team=llm",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-team=metrics",
      OTEL_SERVICE_NAME: "gateway",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    expect(s?.serviceName).toBe("gateway");
    expect(s?.resourceAttributes).toEqual({ "deployment.environment": "prod" });
    expect(s?.traces).toMatchObject({
      url: "http://collector:4318/v1/traces",
      headers: { authorization: "Bearer abc", "x-team": "llm" },
      scheduleDelayMs: 100,
      timeoutMs: 10_000,
    });
    expect(s?.metrics).toMatchObject({
      url: "https://metrics.example/otlp/m",
      headers: { authorization: "Bearer abc", "x-team": "metrics" },
      intervalMs: 60_000,
    });
  });

  it("turns one signal off with its exporter set to none", () => {
    const s = telemetrySettingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" });
    expect(s?.traces?.url).toBe("http://c:4318/v1/traces");
    expect(s?.metrics).toBeUndefined();
  });

  it("refuses what it cannot do with a clear message", () => {
    const problems = (env: Record<string, string>) => {
      try {
        telemetrySettingsOf(env);
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })[0]).toMatch(/not an http\(s\) URL/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })[0]).toMatch(/grpc is not supported/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_TRACES_EXPORTER: "zipkin" })[0]).toMatch(/only "otlp" or "none"/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_METRIC_EXPORT_INTERVAL: "soon" })[0]).toMatch(/OTEL_METRIC_EXPORT_INTERVAL/);
    expect(() => telemetrySettingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "x" })).toThrow(ConfigError);
  });
});

describe("the SDK stays unloaded when telemetry is off", () => {
  it("is reached from main.ts only through a dynamic import", () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
    const seen = new Set<string>();
    const reached: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      // Static value imports and re-exports; `import type` and `import("…")` load nothing up front.
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)) {
        const spec = m[1]!;
        if (spec.startsWith("@opentelemetry/")) reached.push(`${file} → ${spec}`);
        else if (spec.startsWith(".")) walk(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      }
    };
    walk(resolve(root, "main.ts"));
    expect(seen.size).toBeGreaterThan(50);
    expect(seen.has(resolve(root, "ops/telemetry.ts"))).toBe(true);
    expect(seen.has(resolve(root, "ops/otel-sdk.ts"))).toBe(false);
    expect(reached).toEqual([]);
  });
});
