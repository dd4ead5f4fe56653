// Changing the running config without a restart: validate (errors by path and line), apply
// atomically, write the file, keep every version with its author and diff, roll back, follow edits
// of the file on disk, and reach the other replicas through PostgreSQL. Changes made through the
// admin API are held to more than the loader's rules: what it would only warn about but is a
// mistake, and any change to a protected model, is refused.

import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { ConfigVersionStore, type Database } from "@yallmproxy/db";
import type { PgBus } from "../ops/pg-bus.js";
import type { ProxyRuntime } from "../runtime.js";
import { ConfigValidationError, adminChangeProblems, problemsOf, withLines } from "./config-problems.js";
import { readDotEnv, writeDotEnv } from "./env.js";
import { FileWatch } from "./file-watch.js";
import { ConfigError, type LoadedConfig, type ProxyConfig, parseConfigText } from "./load-config.js";
import { maskSecrets, unmaskSecrets, unresolvedMasks } from "./secret-mask.js";

function summarize(before: ProxyConfig | undefined, after: ProxyConfig): string {
  if (!before) return `${after.models.size} models`;
  const was = new Set(before.models.keys());
  const now = new Set(after.models.keys());
  const added = [...now].filter((m) => !was.has(m));
  const removed = [...was].filter((m) => !now.has(m));
  const parts: string[] = [];
  if (added.length) parts.push(`added ${added.join(", ")}`);
  if (removed.length) parts.push(`removed ${removed.join(", ")}`);
  return parts.join("; ") || "edited";
}

export interface VersionInfo {
  version: number;
  createdAt: string;
  author: string;
  summary: string;
}

export class ConfigManager {
  private watch: FileWatch | undefined;
  private lastWritten: string | undefined;
  private readonly db: ConfigVersionStore | undefined;

  constructor(
    private readonly runtime: ProxyRuntime,
    database: Database | undefined,
    private readonly bus: PgBus | undefined,
    private readonly log: { info(o: object, m: string): void; warn(o: object, m: string): void },
    /** Variables for `${VAR}` (configs/.env and the environment, as at start-up). */
    private readonly vars: Record<string, string>,
  ) {
    this.db = database && new ConfigVersionStore(database);
    bus?.on("yallmp_config", (body) => void this.applyVersionFromPeer(Number(body.version)));
  }

  get path(): string {
    return this.runtime.config.source.path;
  }

  /** configs/.env, next to the config file. */
  get envPath(): string {
    return join(dirname(this.path), ".env");
  }

  /** Parses a config text with the variables the proxy started with (and `extra`, about to be saved). */
  parse(text: string, extra: Record<string, string | undefined> = {}): LoadedConfig {
    const vars: Record<string, string> = { ...this.vars, ...readDotEnv(this.envPath) };
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete vars[name];
      else vars[name] = value;
    }
    try {
      return parseConfigText(text, this.path, vars, vars);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigValidationError(problemsOf(err, text));
      throw err;
    }
  }

  validate(submitted: string): LoadedConfig {
    return this.check(unmaskSecrets(submitted, this.runtime.config.source.text));
  }

  /**
   * Parses a change made through the admin API, refusing what the loader would only warn about but
   * the change itself got wrong (a typo'd api_type, a fallback naming nothing, …) and any change to
   * a protected model.
   */
  private check(text: string, extra: Record<string, string | undefined> = {}): LoadedConfig {
    const loaded = this.parse(text, extra);
    const running = this.runtime.config.source.text;
    let runningMistakes: LoadedConfig["mistakes"] = [];
    try {
      runningMistakes = this.parse(running).mistakes;
    } catch {
      // The running text no longer parses here (a variable changed): nothing to compare with.
    }
    const problems = adminChangeProblems({ text: running, mistakes: runningMistakes }, { text, mistakes: loaded.mistakes });
    problems.push(...unresolvedMasks(text, running));
    if (problems.length) throw new ConfigValidationError(withLines(problems, text));
    return loaded;
  }

  /** Records the config found at start-up as a version when it differs from the newest one. */
  async recordStartup(): Promise<void> {
    if (!this.db) return;
    const newest = await this.db.newest();
    if (newest?.yaml === this.runtime.config.source.text) return;
    await this.db.add({ author: "startup", yaml: this.runtime.config.source.text, summary: `loaded from ${this.path}` });
  }

  /**
   * Validates, applies atomically, writes the file and saves a version. Throws ConfigValidationError.
   * `env` are variables the text refers to, saved to configs/.env before the config file; `fromFile`
   * is an edit of the file on disk, which the admin API's own refusals do not apply to.
   */
  async apply(
    submitted: string,
    author: string,
    opts: { writeFile?: boolean; notify?: boolean; fromFile?: boolean; env?: Record<string, string | undefined> } = {},
  ): Promise<{ version: number | null; warnings: string[] }> {
    const text = unmaskSecrets(submitted, this.runtime.config.source.text);
    const loaded = opts.fromFile ? this.parse(text) : this.check(text, opts.env);
    if (opts.env && Object.keys(opts.env).length > 0) await writeDotEnv(this.envPath, opts.env);
    const before = this.runtime.config;
    // What the server was built with stays until a restart: the listen address, the WebSocket frame bound, the forwarders.
    const webSocket = { ...loaded.config.webSocket, maxFrameBytes: before.webSocket.maxFrameBytes };
    const next: ProxyConfig = {
      ...loaded.config,
      server: before.server,
      webSocket,
      databaseUrl: before.databaseUrl,
      adminPassword: before.adminPassword,
      forwarders: before.forwarders,
    };
    this.runtime.apply(next);
    const warnings = [...loaded.warnings];
    if (loaded.config.server.port !== before.server.port || loaded.config.server.host !== before.server.host) {
      warnings.push("proxy_settings.server: the listen address changes at the next restart");
    }
    if (JSON.stringify(loaded.config.forwarders) !== JSON.stringify(before.forwarders)) {
      warnings.push("forwarder_settings, http_forwarder_settings: the forwarders change at the next restart");
    }
    if (loaded.config.webSocket.maxFrameBytes !== before.webSocket.maxFrameBytes) {
      warnings.push("proxy_settings.responses.websocket.max_frame_mb: the frame bound changes at the next restart");
    }
    if (opts.writeFile !== false) {
      try {
        const tmp = `${this.path}.${process.pid}.tmp`;
        await writeFile(tmp, text);
        await rename(tmp, this.path);
        this.lastWritten = text;
      } catch (err) {
        warnings.push(`could not write ${this.path}: ${(err as Error).message}; the change is live but not saved to the file`);
      }
    }
    let version: number | null = null;
    if (this.db) {
      const row = await this.db.add({ author, yaml: text, summary: summarize(before, next) });
      version = row.version;
      if (opts.notify !== false) this.bus?.notify("yallmp_config", { version });
    }
    this.log.info({ author, version, models: [...next.models.keys()] }, "config applied");
    return { version, warnings };
  }

  async versions(limit = 100): Promise<VersionInfo[]> {
    if (!this.db) return [];
    const rows = await this.db.list(limit);
    return rows.map((r) => ({ version: r.version, createdAt: r.createdAt.toISOString(), author: r.author, summary: r.summary }));
  }

  async version(version: number): Promise<(VersionInfo & { yaml: string; diff: string }) | undefined> {
    if (!this.db) return undefined;
    const row = await this.db.get(version);
    if (!row) return undefined;
    const prev = await this.db.previous(version);
    const diff = createTwoFilesPatch(`v${prev?.version ?? 0}`, `v${version}`, maskSecrets(prev?.yaml ?? ""), maskSecrets(row.yaml));
    return { version: row.version, createdAt: row.createdAt.toISOString(), author: row.author, summary: row.summary, yaml: maskSecrets(row.yaml), diff };
  }

  async rollback(version: number, author: string): Promise<{ version: number | null; warnings: string[] } | undefined> {
    if (!this.db) return undefined;
    const row = await this.db.get(version);
    if (!row) return undefined;
    return this.apply(row.yaml, `${author} (rollback to v${version})`);
  }

  /** Another replica applied a version: apply the same text here. */
  private async applyVersionFromPeer(version: number): Promise<void> {
    if (!this.db || !Number.isInteger(version)) return;
    try {
      const row = await this.db.get(version);
      if (!row || row.yaml === this.runtime.config.source.text) return;
      const loaded = this.parse(row.yaml);
      const before = this.runtime.config;
      this.runtime.apply({ ...loaded.config, server: before.server, databaseUrl: before.databaseUrl, adminPassword: before.adminPassword });
      this.log.info({ version }, "config applied from another replica");
    } catch (err) {
      this.runtime.ops.backgroundError("config_sync", err);
    }
  }

  /** Follows edits of the file on disk (debounced); an invalid file keeps the running config. */
  watchFile(debounceMs = 300): void {
    const onError = (err: unknown) => this.runtime.ops.backgroundError("config_watch", err);
    const watch = new FileWatch(this.path, () => void this.reloadFromDisk().catch(onError), onError, debounceMs);
    try {
      watch.start();
      this.watch = watch;
    } catch (err) {
      this.log.warn({ err }, "cannot watch the config file");
    }
  }

  async reloadFromDisk(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch {
      return;
    }
    if (text === this.runtime.config.source.text || text === this.lastWritten) return;
    try {
      await this.apply(text, "file", { writeFile: false, fromFile: true });
    } catch (err) {
      if (!(err instanceof ConfigValidationError)) return this.runtime.ops.backgroundError("config_watch", err);
      this.log.warn({ problems: err.problems }, "config file changed but is invalid; the running config stays in force");
    }
  }

  close(): void {
    this.watch?.close();
  }
}
