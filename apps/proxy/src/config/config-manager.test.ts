// The config manager on a real runtime, config file and SQLite database in a temporary directory:
// validation with lines, applying, versions and rollback, secrets masked and kept, the admin API's
// stricter rules, and edits of the file on disk.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProxyRuntime } from "../runtime.js";
import { ConfigManager } from "./config-manager.js";
import { ConfigValidationError, adminChangeProblems, problemsOf } from "./config-problems.js";
import { maskSecrets, unmaskSecrets } from "./secret-mask.js";
import { ConfigError, parseConfigText } from "./load-config.js";

const BASE = `model_list:
  - model_name: a
    model_params: { api_type: openai, api_base: "http://127.0.0.1:1/v1", api_key: sk-live-secret, model: up-a }
  - model_name: guarded
    protected: true
    model_params: { api_type: mock, model: mock-1 }
`;

let dir: string;
let path: string;
let runtime: ProxyRuntime;
let manager: ConfigManager;
let warnings: Array<{ o: object; m: string }>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "yallmp-config-manager-"));
  path = join(dir, "config.yaml");
  writeFileSync(path, BASE);
  const env = { DATABASE_URL: `file:${join(dir, "proxy.db")}` };
  runtime = await ProxyRuntime.create(parseConfigText(BASE, path, env, env).config);
  warnings = [];
  manager = new ConfigManager(runtime, runtime.database, undefined, { info: () => {}, warn: (o, m) => warnings.push({ o, m }) }, {});
});
afterEach(async () => {
  manager.close();
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The thrown ConfigValidationError's problems. */
function problems(fn: () => unknown): Array<{ path: string; message: string; line?: number }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigValidationError");
}

async function rejected(p: Promise<unknown>): Promise<Array<{ path: string; message: string }>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigValidationError");
}

describe("validation", () => {
  it("names the path and line of each problem", () => {
    const text = `${BASE}  - model_name: c\n    model_params: { api_type: mock, request_timeout: soon }\n`;
    const [p] = problems(() => manager.validate(text));
    expect(p?.path).toBe("model_list[2].model_params.request_timeout");
    expect(p?.line).toBe(8);
  });

  it("problemsOf points a loader error at its line", () => {
    const text = "model_list:\n  - model_name: m\n    model_params: { api_type: openai }\n";
    let error: unknown;
    try {
      parseConfigText(text, "x.yaml", {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(problemsOf(error as ConfigError, text)).toEqual([expect.objectContaining({ path: "model_list[0].model_params.api_base", line: 3 })]);
  });

  it("refuses through the admin API what the loader only warns about", () => {
    const typo = `${BASE}router_settings:\n  fallbacks:\n    - { a: [no-such-model] }\n`;
    expect(problems(() => manager.validate(typo)).map((p) => p.message)).toEqual(['fallback "no-such-model" of model "a" is not configured']);
  });

  it("refuses model_limits naming a model that is not configured, a key's or the defaults'", () => {
    const limits = `${BASE}app_keys:\n  enabled: true\n  defaults: { model_limits: { b: { rpm_limit: 1 } } }\n  keys:\n    - { key_id: k, secret: sk-k, model_limits: { a: { rpm_limit: 2 }, aa: { tpm_limit: 9 } } }\n`;
    const found = problems(() => manager.validate(limits));
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ["app_keys.defaults.model_limits.b", 'limits for model "b", which is not configured'],
      ["app_keys.keys[0].model_limits.aa", 'limits for model "aa", which is not configured'],
    ]);
    const loaded = parseConfigText(limits, "x.yaml", {});
    expect(loaded.warnings).toContain('app_keys.keys[0].model_limits: model "aa" is not configured');
  });
});

describe("protected models", () => {
  it("cannot be changed or deleted through the admin API, but an edit of the file still applies", async () => {
    const changed = BASE.replace("model: mock-1", "model: mock-2");
    expect((await rejected(manager.apply(changed, "admin"))).map((p) => p.message)).toEqual([
      'model "guarded" is protected: it cannot be changed through the admin API (edit the config file)',
    ]);
    const deleted = BASE.slice(0, BASE.indexOf("  - model_name: guarded"));
    expect((await rejected(manager.apply(deleted, "admin")))[0]?.message).toContain("cannot be deleted");
    expect(runtime.config.models.get("guarded")?.upstreamModel).toBe("mock-1");
    await manager.apply(changed, "file", { fromFile: true, writeFile: false });
    expect(runtime.config.models.get("guarded")?.upstreamModel).toBe("mock-2");
  });

  it("adminChangeProblems sees a change to what a protected model extends", () => {
    const before = "model_list:\n  - { model_name: p, model_params: { api_type: mock, model: one } }\n  - { model_name: q, protected: true, extends: p }\n";
    const after = before.replace("model: one", "model: two");
    expect(adminChangeProblems({ text: before, mistakes: [] }, { text: before, mistakes: [] })).toEqual([]);
    expect(adminChangeProblems({ text: before, mistakes: [] }, { text: after, mistakes: [] })).toEqual([
      { path: "model_list[1]", message: 'model "q" is protected: what it extends cannot be changed through the admin API (edit the config file)' },
    ]);
  });
});

describe("secrets", () => {
  it("masks literal secrets and keeps ${VAR} references visible", () => {
    const masked = maskSecrets(`${BASE}  - model_name: b\n    model_params: { api_type: openai, api_base: "http://x/v1", api_key: "\${B_KEY}" }\n`);
    expect(masked).not.toContain("sk-live-secret");
    expect(masked).toContain('api_key: "***"');
    expect(masked).toContain('api_key: "${B_KEY}"');
    expect(unmaskSecrets(masked, BASE)).toContain("api_key: sk-live-secret");
  });

  it("an untouched *** keeps the running secret; one moved elsewhere is refused", async () => {
    const edited = maskSecrets(BASE).replace("model: up-a", "model: up-b");
    await manager.apply(edited, "admin");
    expect(readFileSync(path, "utf8")).toContain("api_key: sk-live-secret");
    expect(runtime.config.models.get("a")?.upstreamModel).toBe("up-b");
    const moved = `${edited}  - model_name: c\n    model_params: { api_type: openai, api_base: "http://x/v1", api_key: "***" }\n`;
    expect((await rejected(manager.apply(moved, "admin")))[0]).toMatchObject({ path: "model_list[2].model_params.api_key" });
  });
});

describe("apply, versions and rollback", () => {
  it("applies live, writes the file, keeps each version with its author and a masked diff", async () => {
    await manager.recordStartup();
    await manager.recordStartup();
    const next = `${BASE}  - model_name: extra\n    model_params: { api_type: mock }\n`;
    const applied = await manager.apply(next, "alice");
    expect(applied.version).toBeGreaterThan(0);
    expect([...runtime.config.models.keys()]).toEqual(["a", "guarded", "extra"]);
    expect(readFileSync(path, "utf8")).toBe(next);
    const versions = await manager.versions();
    expect(versions.map((v) => [v.author, v.summary])).toEqual([
      ["alice", "added extra"],
      ["startup", `loaded from ${path}`],
    ]);
    const detail = await manager.version(applied.version!);
    expect(detail?.diff).toContain("+  - model_name: extra");
    expect(detail?.yaml).not.toContain("sk-live-secret");
    expect(detail?.diff).not.toContain("sk-live-secret");
  });

  it("rolls back to an earlier version as a new version", async () => {
    await manager.recordStartup();
    const [startup] = await manager.versions();
    await manager.apply(BASE.replace("model: up-a", "model: up-z"), "bob");
    const back = await manager.rollback(startup!.version, "bob");
    expect(back?.version).toBeGreaterThan(startup!.version + 1);
    expect(runtime.config.models.get("a")?.upstreamModel).toBe("up-a");
    expect(readFileSync(path, "utf8")).toBe(BASE);
    expect((await manager.versions())[0]?.author).toBe(`bob (rollback to v${startup!.version})`);
    expect(await manager.rollback(9999, "bob")).toBeUndefined();
  });
});

describe("the file on disk", () => {
  it("applies a valid edit and keeps the running config when the file turns invalid", async () => {
    writeFileSync(path, BASE.replace("model: up-a", "model: up-disk"));
    await manager.reloadFromDisk();
    expect(runtime.config.models.get("a")?.upstreamModel).toBe("up-disk");
    expect((await manager.versions())[0]?.author).toBe("file");

    writeFileSync(path, "model_list:\n  - model_name: broken\n    model_params: { api_type: openai }\n");
    await manager.reloadFromDisk();
    expect(runtime.config.models.get("a")?.upstreamModel).toBe("up-disk");
    expect(warnings.map((w) => w.m)).toEqual(["config file changed but is invalid; the running config stays in force"]);
  });

  it("does not re-apply the text it wrote itself", async () => {
    await manager.apply(BASE.replace("model: up-a", "model: up-own"), "admin");
    const before = (await manager.versions()).length;
    await manager.reloadFromDisk();
    expect((await manager.versions()).length).toBe(before);
  });
});

describe("forwarders", () => {
  it("are kept as started until a restart, and a change says so", async () => {
    const yaml = `${BASE}forwarder_settings: { enabled: true, listen: { port: 7100 }, target: { port: 7101 } }\n`;
    const { warnings: said } = await manager.apply(yaml, "file", { fromFile: true, writeFile: false });
    expect(said).toContain("forwarder_settings, http_forwarder_settings: the forwarders change at the next restart");
    expect(runtime.config.forwarders.tcp).toBeUndefined();
  });
});
