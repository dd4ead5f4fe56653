import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigText } from "./load-config.js";

const parse = (yaml: string, vars: Record<string, string> = {}) => parseConfigText(yaml, "/t/config.yaml", vars, vars);
const fixture = (name: string) => new URL(`../../test/fixtures/${name}`, import.meta.url).pathname;

/**
 * yaLLMproxy keys this proxy honours (each one's behaviour has its own test, here or in
 * e2e/tests/yallmproxy-parity.test.ts). `[]` is any list index; a trailing `.*` a whole subtree.
 */
const HONOURED = [
  "model_list[].model_name",
  "model_list[].protected",
  "model_list[].extends",
  "model_list[].parameters.*",
  "model_list[].access_control.*",
  "model_list[].modules.*",
  "model_list[].parsers.*",
  "model_list[].model_params.api_type",
  "model_list[].model_params.model",
  "model_list[].model_params.api_base",
  "model_list[].model_params.api_key",
  "model_list[].model_params.target_model",
  "model_list[].model_params.forward_model",
  "model_list[].model_params.supports_reasoning",
  "model_list[].model_params.supports_responses_api",
  "model_list[].model_params.http2",
  "model_list[].model_params.request_timeout",
  "model_list[].model_params.anthropic_version",
  "model_list[].model_params.thinking.*",
  "model_list[].model_params.parameters.*",
  "router_settings.fallbacks.*",
  "proxy_settings.debug",
  "proxy_settings.server.*",
  "proxy_settings.enable_responses_endpoint",
  "proxy_settings.enable_messages_endpoint",
  "proxy_settings.logging.full_request_storage.enabled",
  "proxy_settings.logging.full_request_storage.retention_hours",
  "proxy_settings.parsers.*",
  "proxy_settings.modules.*",
  "app_keys.*",
  "database.backend",
  "database.connection.*",
  "forwarder_settings.enabled",
  "forwarder_settings.debug",
  "forwarder_settings.listen.*",
  "forwarder_settings.target.*",
  "http_forwarder_settings.enabled",
  "http_forwarder_settings.debug",
  "http_forwarder_settings.preserve_host",
  "http_forwarder_settings.timeout_seconds",
  "http_forwarder_settings.listen.*",
  "http_forwarder_settings.target.*",
  "http_forwarder_settings.ssl.enabled",
  "http_forwarder_settings.ssl.cert_file",
  "http_forwarder_settings.ssl.key_file",
];

function honoured(path: string): boolean {
  const general = path.replace(/\[\d+\]/g, "[]");
  return HONOURED.some((p) => {
    if (!p.endsWith(".*")) return general === p;
    const base = p.slice(0, -2);
    return general === base || general.startsWith(`${base}.`) || general.startsWith(`${base}[`);
  });
}

/** Every leaf key of a parsed YAML document, as `a.b[0].c`. */
function leafPaths(value: unknown, at = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, `${at}[${i}]`));
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [at];
    return entries.flatMap(([k, v]) => leafPaths(v, at ? `${at}.${k}` : k));
  }
  return [at.replace(/\[\d+\]$/, "")];
}

/** Whether a warning names `path`, a section it belongs to, or the model entry it is in. */
function warned(path: string, warnings: string[]): boolean {
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n--) {
    const prefix = parts.slice(0, n).join(".");
    if (warnings.some((w) => w.startsWith(`${prefix}:`) || w.startsWith(`${prefix} (`))) return true;
  }
  return false;
}

describe("every yaLLMproxy key is honoured or named in a warning", () => {
  for (const file of ["yallmproxy-every-key.yaml", "yallmproxy-config-example.yaml"]) {
    it(file, () => {
      const { warnings } = loadConfig({ path: fixture(file), env: {} });
      const paths = [...new Set(leafPaths(parseYaml(readFileSync(fixture(file), "utf8"))))];
      const silent = paths.filter((p) => !honoured(p) && !warned(p, warnings));
      expect(silent).toEqual([]);
      // The keys not honoured are warned about one by one, not swallowed by a broader warning.
      for (const key of [
        "proxy_settings.logging.log_to_disk",
        "proxy_settings.logging.log_parsed_stream",
        "database.pool_size",
        "http_forwarder_settings.ssl.hosts",
      ]) {
        expect(warnings.some((w) => w.startsWith(`${key}:`))).toBe(true);
      }
    });
  }

  it("names the keys of other models' GigaChat settings, and reads a GigaChat entry's own (mode unset with both credentials: not served)", () => {
    const { warnings } = loadConfig({ path: fixture("yallmproxy-every-key.yaml"), env: {} });
    expect(warnings).toContain("model_list[0].editable: not honoured by this proxy, ignored (use protected: false to allow changes through the admin API)");
    expect(warnings.filter((w) => w.startsWith("model_list[2].model_params."))).toHaveLength(6);
    expect(warnings.filter((w) => w.startsWith("model_list[3]"))).toEqual([
      'model_list[3] (giga): both GigaChat cloud (api_key) and local (client_cert, client_key) credentials are set; set mode to "cloud" or "local"; model not served',
    ]);
    expect(warnings.some((w) => w.startsWith("router_settings.num_retries: counts retries after the first attempt"))).toBe(true);
  });
});

describe("yaLLMproxy's values, read as yaLLMproxy read them", () => {
  it('coerces "540", "true", "yes" and a single fallback name', () => {
    const { config } = parse(`
model_list:
  - model_name: a
    protected: "false"
    model_params: { api_base: http://x/v1, request_timeout: "540", supports_reasoning: "true", http2: "yes",
      parameters: { temperature: { default: 1, allow_override: "no" } } }
  - model_name: b
    model_params: { api_base: http://y/v1 }
router_settings: { num_retries: "2", fallbacks: [{ a: b }] }
proxy_settings: { server: { port: "8080" }, enable_responses_endpoint: "off", enable_messages_endpoint: "on" }
app_keys: { enabled: "true", allow_unauthenticated: "1", unauthenticated: { concurrency_limit: "3" } }
`);
    const a = config.models.get("a")!;
    expect(a).toMatchObject({ timeoutMs: 540_000, supportsReasoning: true, http2: true, protected: false });
    expect(a.parameters).toEqual([{ path: ["temperature"], value: 1, allowOverride: false }]);
    expect(config.fallbacks.get("a")).toEqual(["b"]);
    expect(config.router.numRetries).toBe(2);
    expect(config.server.port).toBe(8080);
    expect(config.endpoints).toMatchObject({ responses: false, messages: true });
    expect(config.appKeys).toMatchObject({ enabled: true, allowUnauthenticated: true, unauthenticated: { concurrencyLimit: 3 } });
  });

  it("still refuses what no coercion makes sense of", () => {
    expect(() => parse("model_list: [{ model_name: a, model_params: { api_base: http://x/v1, request_timeout: soon } }]")).toThrow(/request_timeout/);
    expect(() => parse("model_list: [{ model_name: a, model_params: { api_base: http://x/v1, http2: maybe } }]")).toThrow(/http2/);
  });

  it("takes entry-level parameters over model_params.parameters, as yaLLMproxy's README shows them", () => {
    const { config } = parse(`
model_list:
  - model_name: a
    model_params: { api_base: http://x/v1, parameters: { top_p: { default: 0.5 } } }
    parameters: { temperature: { default: 1.0, allow_override: false } }
`);
    expect(config.models.get("a")!.parameters).toEqual([{ path: ["temperature"], value: 1.0, allowOverride: false }]);
  });

  it("sends target_model, else forward_model, else model without its openai/ or api_type prefix", () => {
    const { config } = parse(`
model_list:
  - { model_name: t, model_params: { api_base: http://x/v1, model: m, forward_model: f, target_model: t2 } }
  - { model_name: f, model_params: { api_base: http://x/v1, model: m, forward_model: f2 } }
  - { model_name: o, model_params: { api_base: http://x/v1, model: openai/gpt-4o } }
  - { model_name: c, model_params: { api_type: anthropic, api_base: http://x/v1, model: anthropic/claude-x } }
  - { model_name: n, model_params: { api_base: http://x/v1 } }
`);
    const up = (n: string) => config.models.get(n)!.upstreamModel;
    expect([up("t"), up("f"), up("o"), up("c"), up("n")]).toEqual(["t2", "f2", "gpt-4o", "claude-x", "n"]);
  });

  it("turns supports_reasoning into a thinking switch unless the model sets its own", () => {
    const { config } = parse(`
model_list:
  - { model_name: r, model_params: { api_base: http://x/v1, supports_reasoning: true } }
  - { model_name: t, model_params: { api_base: http://x/v1, supports_reasoning: true, thinking: { type: auto } } }
  - { model_name: p, model_params: { api_base: http://x/v1 } }
`);
    expect(config.models.get("r")!.thinking).toEqual({ type: "enabled" });
    expect(config.models.get("t")!.thinking).toEqual({ type: "auto" });
    expect(config.models.get("p")!.thinking).toBeUndefined();
  });

  it("reads anthropic_version as text", () => {
    const { config } = parse(
      `model_list: [{ model_name: c, model_params: { api_type: anthropic, api_base: http://x/v1, anthropic_version: " 2023-01-01 " } }]`,
    );
    expect(config.models.get("c")!.anthropicVersion).toBe("2023-01-01");
  });

  it("full_request_storage.enabled turns on full trace capture; traces.capture still decides", () => {
    const on = parse("proxy_settings: { logging: { full_request_storage: { enabled: true, retention_hours: 12 } } }").config.traces;
    expect(on).toMatchObject({ capture: "full", retentionHours: 12 });
    expect(parse("proxy_settings: { logging: { full_request_storage: { enabled: false } } }").config.traces.capture).toBe("metadata");
    expect(parse("proxy_settings: { traces: { capture: off }, logging: { full_request_storage: { enabled: true } } }").config.traces.capture).toBe("off");
  });

  it("debug: true logs at debug level unless logging.level or LOG_LEVEL says otherwise", () => {
    expect(parse("proxy_settings: { debug: true }").config.logLevel).toBe("debug");
    expect(parse("proxy_settings: { debug: true, logging: { level: warn } }").config.logLevel).toBe("warn");
    expect(parse("proxy_settings: { debug: false }").config.logLevel).toBe("info");
  });

  it("caps callers without a key at 5 at once when keys are on and such callers allowed, as yaLLMproxy did", () => {
    const keyed = parse("app_keys: { enabled: true, allow_unauthenticated: true, keys: [{ key_id: k, secret: s }] }").config.appKeys;
    expect(keyed.unauthenticated.concurrencyLimit).toBe(5);
    expect(parse("app_keys: { enabled: false }").config.appKeys.unauthenticated.concurrencyLimit).toBe(0);
  });

  it("warns about the deliberate differences: num_retries and an endpoint flag left unset", () => {
    const { warnings } = parse("router_settings: { num_retries: 0 }\nproxy_settings: { enable_messages_endpoint: true }");
    expect(warnings).toContain(
      "router_settings.num_retries: counts retries after the first attempt here (num_retries: 0 makes up to 1 attempts per backend); yaLLMproxy counted attempts",
    );
    expect(warnings).toContain("proxy_settings.enable_responses_endpoint: not set, so the endpoint is on (yaLLMproxy turned it off when unset)");
    expect(parse("proxy_settings: { server: { port: 1 } }").warnings).toEqual([]);
  });

  it("reads .env_<suffix> beside config_<suffix>.yaml, and .env beside any other name", () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-env-"));
    const yaml = "model_list: [{ model_name: a, model_params: { api_base: http://x/v1, api_key: $KEY } }]";
    writeFileSync(join(dir, "config_prod.yaml"), yaml);
    writeFileSync(join(dir, "other.yaml"), yaml);
    writeFileSync(join(dir, ".env_prod"), "KEY=from-prod\n");
    writeFileSync(join(dir, ".env"), "KEY=from-plain\n");
    expect(loadConfig({ path: join(dir, "config_prod.yaml"), env: {} }).config.models.get("a")!.apiKey).toBe("from-prod");
    expect(loadConfig({ path: join(dir, "other.yaml"), env: {} }).config.models.get("a")!.apiKey).toBe("from-plain");
  });
});

describe("the config snippets of yaLLMproxy's README and docs", () => {
  const SECTIONS = new Set(["model_list", "router_settings", "proxy_settings", "app_keys", "database", "forwarder_settings", "http_forwarder_settings"]);
  const docs = readFileSync(fixture("yallmproxy-doc-snippets.yaml"), "utf8").split(/^---$/m).slice(1);

  it("load, each whole one with its models served and every key honoured or warned", () => {
    let loaded = 0;
    for (const text of docs) {
      let doc: unknown;
      try {
        doc = parseYaml(text);
      } catch {
        continue; // a fragment showing two alternatives of one key
      }
      if (typeof doc !== "object" || doc === null || !Object.keys(doc).every((k) => SECTIONS.has(k))) continue;
      const { config, warnings } = parse(text, { GLM_API_KEY: "g", APP_KEY_DEV: "d", DB_USER: "u", DB_PASSWORD: "p", BASE_KEY: "b", MIDDLE_KEY: "m" });
      const entries = ((doc as { model_list?: Array<{ model_name: string }> }).model_list ?? []).map((m) => m.model_name);
      expect([...config.models.keys()], text.split("\n")[1]).toEqual(entries);
      const silent = [...new Set(leafPaths(doc))].filter((p) => !honoured(p) && !warned(p, warnings));
      expect(silent, text.split("\n")[1]).toEqual([]);
      loaded++;
    }
    expect(loaded).toBe(16);
  });
});
