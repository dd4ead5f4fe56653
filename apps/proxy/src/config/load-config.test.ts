import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfigText } from "./load-config.js";

const parse = (yaml: string, vars: Record<string, string> = {}) => parseConfigText(yaml, "/t/config.yaml", vars, vars);

function problemsOf(yaml: string, vars: Record<string, string> = {}): string[] {
  try {
    parse(yaml, vars);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected the config to be rejected");
}

const fixture = (name: string) => new URL(`../../test/fixtures/${name}`, import.meta.url).pathname;

describe("loadConfig", () => {
  it("loads the shipped config with no warnings and mock models only", () => {
    const { config, warnings } = loadConfig({ path: new URL("../../../../configs/config.yaml", import.meta.url).pathname, env: {} });
    expect(warnings).toEqual([]);
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 7979 });
    expect([...config.models.values()].every((m) => m.apiType === "mock")).toBe(true);
    expect(config.models.get("mock-slow")!.mock).toEqual({ latency_ms: 300, chunk_delay_ms: 50 });
    expect(config.fallbacks.get("mock-flaky")).toEqual(["mock"]);
  });

  it("loads a yaLLMproxy config with GigaChat, modules and forwarders: modules run, GigaChat with its key set, forwarders wait for enabled, what is not implemented is warned about", () => {
    const { config, warnings } = loadConfig({ path: fixture("yallmproxy-style.yaml"), env: {} });
    expect([...config.models.keys()]).toEqual(["GLM-remote", "GLM-remote:cursor", "local-vllm"]);
    expect(config.endpoints).toEqual({ responses: false, messages: true, responsesWebSocket: true });
    const text = warnings.join("\n");
    expect(text).toContain("model_list[3] (GigaChat-Max): GigaChat credentials are not set: api_key (and scope) for cloud mode");
    const giga = loadConfig({ path: fixture("yallmproxy-style.yaml"), env: { GIGACHAT_API_KEY: "a2V5", GIGACHAT_SCOPE: "GIGACHAT_API_PERS" } }).config;
    expect(giga.models.get("GigaChat-Max")).toMatchObject({
      apiType: "gigachat",
      apiKey: "a2V5",
      gigachat: {
        mode: "cloud",
        scope: "GIGACHAT_API_PERS",
        authUrl: "https://ngw.devices.sberbank.ru:9443/api/v2/oauth",
        verifySsl: true,
        emulateToolCalls: false,
      },
    });
    expect(text).not.toContain("not implemented by this proxy");
    expect(text).toContain("forwarder_settings: not started: set forwarder_settings.enabled: true (or FORWARD_ENABLED=true)");
    expect(text).toContain("http_forwarder_settings: not started: set http_forwarder_settings.enabled: true (or HTTP_FORWARD_ENABLED=true)");
    expect(config.forwarders).toEqual({ tcp: undefined, http: undefined });
    expect(text).not.toContain("modules");
    const moduleNames = (name: string) => config.models.get(name)!.responseModules?.modules.map((m) => m.name);
    expect(moduleNames("GLM-remote")).toEqual(["swap_reasoning_content"]);
    expect(moduleNames("GLM-remote:cursor")).toEqual(["swap_reasoning_content"]);
    expect(moduleNames("local-vllm")).toEqual(["parse_tags"]);
    expect(text).toContain("environment variable GLM_KEY_NOT_SET is not set");
    const glm = config.models.get("GLM-remote")!;
    expect(glm.apiKey).toBeUndefined();
    expect(glm.thinking).toEqual({ type: "enabled" });
    expect(glm.timeoutMs).toBe(540_000);
    expect(glm.parameters).toEqual([
      { path: ["temperature"], value: 1.0, allowOverride: false },
      { path: ["thinking", "clear_thinking"], value: false, allowOverride: true },
    ]);
  });

  it("loads api_type passthrough (served on /p1 only) and warns that it ignores body edits", () => {
    const { config, warnings } = parse(`
model_list:
  - model_name: raw
    model_params: { api_type: passthrough, api_base: "http://127.0.0.1:9/api/", api_key: k, parameters: { temperature: 1 } }
  - model_name: emb
    model_params: { api_type: openai, api_base: "http://127.0.0.1:9/v1" }
`);
    expect(config.models.get("raw")).toMatchObject({ apiType: "passthrough", apiBase: "http://127.0.0.1:9/api", apiKey: "k" });
    expect(config.models.get("emb")!.apiType).toBe("openai");
    expect(warnings).toEqual([expect.stringContaining("a passthrough model relays bodies untouched")]);
    expect(problemsOf("model_list:\n  - model_name: raw\n    model_params: { api_type: passthrough }\n")).toEqual([
      "model_list[0].model_params.api_base: required for api_type passthrough",
    ]);
  });

  it("resolves extends by deep merge with lists replaced, through a chain", () => {
    const { config } = parse(`
model_list:
  - model_name: base
    model_params:
      api_base: https://base.example/v1
      api_key: base-key
      model: base-model
      headers: { x-a: "1", x-b: "2" }
      parameters:
        temperature: { default: 0.5 }
        stop: { default: ["a", "b"] }
    access_control: { allowed_keys: [k1, k2] }
  - model_name: middle
    extends: base
    model_params:
      api_key: middle-key
      request_timeout: 120
      headers: { x-b: "3" }
  - model_name: leaf
    extends: middle
    model_params:
      parameters:
        stop: { default: ["z"] }
    access_control: { allowed_keys: [k3] }
app_keys:
  keys: [{ key_id: k1, secret: s1 }, { key_id: k2, secret: s2 }, { key_id: k3, secret: s3 }]
`);
    const leaf = config.models.get("leaf")!;
    expect(leaf.apiBase).toBe("https://base.example/v1");
    expect(leaf.apiKey).toBe("middle-key");
    expect(leaf.upstreamModel).toBe("base-model");
    expect(leaf.timeoutMs).toBe(120_000);
    expect(leaf.headers).toEqual({ "x-a": "1", "x-b": "3" });
    expect(leaf.parameters).toEqual([
      { path: ["temperature"], value: 0.5, allowOverride: true },
      { path: ["stop"], value: ["z"], allowOverride: true },
    ]);
    expect(leaf.allowedKeys).toEqual(new Set(["k3"]));
    expect(config.models.get("base")!.headers).toEqual({ "x-a": "1", "x-b": "2" });
  });

  it("fills ${VAR} and $VAR from configs/.env first, then the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-cfg-"));
    writeFileSync(join(dir, ".env"), "FROM_FILE=file-value\nBOTH=file-wins\n");
    writeFileSync(
      join(dir, "config.yaml"),
      `model_list:
  - model_name: m
    model_params: { api_type: openai, api_base: "https://$HOST_PART/v1", api_key: "\${FROM_FILE}-\${BOTH}" }
`,
    );
    const { config, warnings } = loadConfig({ path: join(dir, "config.yaml"), env: { HOST_PART: "api.example", BOTH: "env-value" } });
    expect(config.models.get("m")!.apiBase).toBe("https://api.example/v1");
    expect(warnings).toEqual([]);
    // A variable in both places takes the .env value, as yaLLMproxy's loader does.
    expect(config.models.get("m")!.apiKey).toBe("file-value-file-wins");
  });

  it("honours YALLMP_HOST, YALLMP_PORT, YALLMP_ADMIN_PASSWORD and DATABASE_URL", () => {
    const env = { YALLMP_HOST: "0.0.0.0", YALLMP_PORT: "8123", YALLMP_ADMIN_PASSWORD: "pw", DATABASE_URL: "postgresql://x/y" };
    const { config } = parse("model_list: []\n", env);
    expect(config.server).toMatchObject({ host: "0.0.0.0", port: 8123 });
    expect(config.adminPassword).toBe("pw");
    expect(config.databaseUrl).toBe("postgresql://x/y");
  });
});

describe("database settings", () => {
  it("reads yaLLMproxy's database section, and DATABASE_URL wins over it", () => {
    const pgYaml =
      "database:\n  backend: postgres\n  connection:\n    postgres: { host: db.internal, port: 5433, database: yallm, user: proxy, password: 'p@ss:w' }\n";
    expect(parse(pgYaml).config.databaseUrl).toBe("postgresql://proxy:p%40ss%3Aw@db.internal:5433/yallm");
    expect(parse("database:\n  backend: sqlite\n  connection:\n    sqlite: { path: logs/yaLLM.db }\n").config.databaseUrl).toBe("file:logs/yaLLM.db");
    expect(parse("model_list: []\n").config.databaseUrl).toBe("file:data/yallmproxy.db");
    expect(parse(pgYaml, { DATABASE_URL: "postgresql://other/db" }).config.databaseUrl).toBe("postgresql://other/db");
    expect(problemsOf("database: { backend: mongodb }")).toEqual(['database.backend: expected sqlite or postgres, got "mongodb"']);
    expect(problemsOf("database: { backend: postgres }")).toEqual(["database.connection.postgres: required when database.backend is postgres"]);
  });
});

describe("invalid configs are rejected with one line per bad field", () => {
  it.each([
    ["model_list: [", /YAML syntax error/],
    ["- a\n- b\n", /^\(root\): expected a mapping/],
    ["model_list: 5", /^model_list: Invalid input: expected array/],
    ["model_list:\n  - model_name: m\n    model_params: { api_type: openai }", /^model_list\[0\]\.model_params\.api_base: required for api_type openai/],
    ["model_list:\n  - model_name: m\n    model_params: { api_base: 'ftp://x' }", /^model_list\[0\]\.model_params\.api_base: not an http\(s\) URL/],
    [
      "model_list:\n  - model_name: m\n    model_params: { api_type: mock, request_timeout: soon }",
      /^model_list\[0\]\.model_params\.request_timeout: Invalid input: expected number/,
    ],
    [
      "model_list:\n  - model_name: m\n    model_params: { api_type: mock, mock: { latency: 5 } }",
      /^model_list\[0\]\.model_params\.mock: Unrecognized key: "latency"/,
    ],
    ["model_list:\n  - model_params: { api_type: mock }", /^model_list\[0\]\.model_name: Invalid input: expected string/],
    [
      "model_list:\n  - model_name: a\n    extends: b\n    model_params: {}\n  - model_name: b\n    extends: a\n    model_params: {}",
      /circular extends \(a -> b -> a\)/,
    ],
    ["model_list:\n  - model_name: a\n    extends: ghost\n    model_params: {}", /^model_list\[0\]\.extends: parent model "ghost" does not exist/],
    [
      "model_list:\n  - { model_name: a, id: x, model_params: { api_type: mock } }\n  - { model_name: a, id: x, model_params: { api_type: mock } }",
      /^model_list: deployment id "x" is used twice/,
    ],
    ["router_settings: { num_retries: many }", /^router_settings\.num_retries: Invalid input: expected number/],
    ["router_settings: { fallbacks: { a: b } }", /^router_settings\.fallbacks: Invalid input: expected array/],
    ["proxy_settings: { server: { port: 99999 } }", /^proxy_settings\.server\.port: Too big/],
    ["app_keys: { keys: [{ key_id: a, secret: x }, { key_id: a, secret: y }] }", /^app_keys\.keys\[1\]\.key_id: duplicate key_id "a"/],
    ["app_keys: { keys: [{ key_id: a, secret: $MISSING_SECRET }] }", /^app_keys\.keys\[0\]\.secret: empty secret/],
  ])("%s", (yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(
      problems.some((p) => expected.test(p)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("reports every bad field at once", () => {
    const problems = problemsOf(`
model_list:
  - model_name: a
    model_params: { api_type: openai }
  - model_name: b
    model_params: { api_type: openai, api_base: "not a url" }
`);
    expect(problems).toEqual([
      "model_list[0].model_params.api_base: required for api_type openai",
      'model_list[1].model_params.api_base: not an http(s) URL: "not a url"',
    ]);
  });

  it("reads proxy_settings.responses.reasoning (default both) and refuses other values", () => {
    const model = "model_list:\n  - model_name: a\n    model_params: { api_type: mock }\n";
    expect(parse(model).config.responseState.rawReasoning).toBe("both");
    expect(parse(`${model}proxy_settings: { responses: { reasoning: summary } }`).config.responseState.rawReasoning).toBe("summary");
    expect(problemsOf(`${model}proxy_settings: { responses: { reasoning: raw } }`).join("\n")).toContain("proxy_settings.responses.reasoning");
  });

  it("takes anthropic_betas on Anthropic routes only, and only names that fit in the header", () => {
    const ok = parse(`
model_list:
  - model_name: a
    model_params: { api_type: anthropic, api_base: http://127.0.0.1:1/v1, anthropic_betas: { drop: ["context-management-*"], add: [x-2026] } }
`);
    expect(ok.config.models.get("a")!.anthropicBetas).toEqual({ drop: ["context-management-*"], add: ["x-2026"] });
    const problems = problemsOf(`
model_list:
  - model_name: a
    model_params: { api_type: anthropic, api_base: http://127.0.0.1:1/v1, anthropic_betas: { drop: ["a,b"], add: ["x*", "ok"] } }
  - model_name: b
    model_params: { api_type: openai, api_base: http://127.0.0.1:1/v1, anthropic_betas: { add: [x] } }
`);
    expect(problems).toEqual([
      'model_list[0].model_params.anthropic_betas.drop[0]: not a beta name: "a,b"',
      'model_list[0].model_params.anthropic_betas.add[0]: not a beta name: "x*"',
      "model_list[1].model_params.anthropic_betas: only for api_type anthropic (an OpenAI backend is sent no anthropic-beta)",
    ]);
  });

  it("refuses upstream headers the HTTP client manages, bad header names and values with line breaks", () => {
    const problems = problemsOf(`
model_list:
  - model_name: a
    model_params:
      api_base: http://127.0.0.1:1/v1
      headers: { Connection: close, "bad name": x, x-ok: "fine", x-split: "a\\r\\nb", Transfer-Encoding: chunked }
`);
    expect(problems).toEqual([
      "model_list[0].model_params.headers.Connection: set by the proxy itself, cannot be configured",
      "model_list[0].model_params.headers.bad name: not a valid header name",
      "model_list[0].model_params.headers.x-split: the value contains a line break or NUL",
      "model_list[0].model_params.headers.Transfer-Encoding: set by the proxy itself, cannot be configured",
    ]);
  });

  it("stops start-up with a readable message naming each bad path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-bad-"));
    const path = join(dir, "config.yaml");
    writeFileSync(
      path,
      "model_list:\n  - model_name: a\n    model_params: { api_type: mock, request_timeout: -1 }\n  - model_name: b\n    model_params: { api_type: openai }\n",
    );
    const main = new URL("../main.ts", import.meta.url).pathname;
    const tsx = new URL("../../../../node_modules/.bin/tsx", import.meta.url).pathname;
    const result = await promisify(execFile)(tsx, ["--conditions=yallmproxy-source", main], {
      env: { ...process.env, YALLMP_CONFIG: path, YALLMP_PORT: "0" },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("invalid config:");
    expect(result.stderr).toContain("model_list[0].model_params.request_timeout: Too small");
    expect(result.stderr).toContain("model_list[1].model_params.api_base: required for api_type openai");
    expect(readFileSync(path, "utf8")).toContain("request_timeout: -1");
  });
});
