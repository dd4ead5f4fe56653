// Changing the running config without a restart: validate (errors by path and line), apply
// atomically, write the file, keep every version with its author and diff, roll back, follow edits
// of the file on disk, and reach the other replicas through PostgreSQL. Changes made through the
// admin API are held to more than the loader's rules: what it would only warn about but is a
// mistake, and any change to a protected model, is refused.

import { watch, type FSWatcher } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { LineCounter, isMap, isScalar, isSeq, parse as parseYaml, parseDocument, type Document, type Scalar } from "yaml";
import type { Database } from "@yallmproxy/db";
import type { PgBus } from "../ops/pg-bus.js";
import type { ProxyRuntime } from "../runtime.js";
import { isCredentialField } from "../ops/redact.js";
import { readDotEnv, writeDotEnv } from "./env.js";
import { ConfigError, type LoadedConfig, type ProxyConfig, parseConfigText } from "./load-config.js";
import { replaceScalars } from "./yaml-edit.js";

export const MASK = "***";
/** A value that only names variables (`${OPENAI_API_KEY}`, `Bearer ${TOKEN}`) shows no secret. */
export const ONLY_REFERENCES = /^\s*(?:\w+\s+)?(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)\s*$/;

export interface ConfigProblem {
  path: string;
  message: string;
  line?: number;
}

export interface VersionInfo {
  version: number;
  createdAt: string;
  author: string;
  summary: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  }
}

/** `model_list[1].model_params.api_base` → ["model_list", 1, "model_params", "api_base"]. */
function splitPath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

function lineOf(doc: Document, counter: LineCounter, path: Array<string | number>): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Problems of a config text, each with the line it points at. */
export function problemsOf(err: ConfigError, text: string): ConfigProblem[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length) {
    return doc.errors.map((e) => ({ path: "(yaml)", message: e.message.split("\n")[0] ?? "YAML syntax error", line: e.linePos?.[0]?.line }));
  }
  return withLines(
    err.problems.map((p) => {
      const at = p.indexOf(": ");
      return at > 0 ? { path: p.slice(0, at), message: p.slice(at + 2) } : { path: "(root)", message: p };
    }),
    text,
    doc,
    counter,
  );
}

/** Each problem with the line its path points at. */
function withLines(problems: Array<{ path: string; message: string }>, text: string, doc?: Document, counter?: LineCounter): ConfigProblem[] {
  const lines = counter ?? new LineCounter();
  const parsed = doc ?? parseDocument(text, { lineCounter: lines });
  return problems.map(({ path, message }) => {
    const line = lineOf(parsed, lines, splitPath(path));
    return { path, message, ...(line !== undefined ? { line } : {}) };
  });
}

/** Identity of a list item across edits: models by name, keys by key_id. */
function itemKey(node: unknown): string | undefined {
  if (!isMap(node)) return undefined;
  const name = node.get("model_name") ?? node.get("key_id");
  return typeof name === "string" ? name : undefined;
}

/**
 * Walks every secret scalar, giving its logical path (list items by name): fields named like a
 * credential (`api_key`, `secret`, `password`, `*_token`, …) and every upstream header value.
 */
function eachSecret(node: unknown, path: string[], visit: (path: string, scalar: Scalar) => void, underHeaders = false): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if ((underHeaders || isCredentialField(key)) && isScalar(pair.value)) visit([...path, key].join("/"), pair.value);
      else eachSecret(pair.value, [...path, key], visit, key === "headers" && path[path.length - 1] === "model_params");
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => eachSecret(item, [...path, itemKey(item) ?? String(i)], visit));
  }
}

/** The config text with literal secrets shown as `***` (`${VAR}` references stay visible); nothing else changes. */
export function maskSecrets(text: string): string {
  if (!text.trim()) return text;
  const doc = parseDocument(text);
  if (doc.errors.length) return text;
  const edits: Array<{ node: Scalar; value: string }> = [];
  eachSecret(doc.contents, [], (_path, scalar) => {
    const v = scalar.value;
    if (typeof v === "string" && v !== "" && v !== MASK && !ONLY_REFERENCES.test(v)) edits.push({ node: scalar, value: MASK });
  });
  return replaceScalars(text, edits);
}

/** Puts back the running value of every `***` the operator left untouched; nothing else changes. */
export function unmaskSecrets(submitted: string, current: string): string {
  if (!submitted.includes(MASK)) return submitted;
  const known = new Map<string, unknown>();
  eachSecret(parseDocument(current).contents, [], (path, scalar) => known.set(path, scalar.value));
  const doc = parseDocument(submitted);
  if (doc.errors.length) return submitted;
  const edits: Array<{ node: Scalar; value: string }> = [];
  eachSecret(doc.contents, [], (path, scalar) => {
    const was = known.get(path);
    if (scalar.value === MASK && typeof was === "string") edits.push({ node: scalar, value: was });
  });
  return replaceScalars(submitted, edits);
}

/** Secrets still reading `***` after unmasking (moved or renamed): saving them would store the mask itself. */
function unresolvedMasks(text: string, running: string): Array<{ path: string; message: string }> {
  if (!text.includes(MASK)) return [];
  const masked = new Set<string>();
  eachSecret(parseDocument(running).contents, [], (path, scalar) => scalar.value === MASK && masked.add(path));
  const out: Array<{ path: string; message: string }> = [];
  const doc = parseDocument(text);
  eachSecret(doc.contents, [], (path, scalar) => {
    if (scalar.value !== MASK || masked.has(path)) return;
    const at = doc.contents && scalar.range ? pathOfNode(doc, scalar) : undefined;
    out.push({ path: at ?? path.replace(/\//g, "."), message: `"${MASK}" stands for a secret that is not at this place in the running config; enter the value (or a \${VAR})` });
  });
  return out;
}

/** The dotted path (`model_list[0].model_params.api_key`) of a node in a document. */
function pathOfNode(doc: Document, target: unknown): string | undefined {
  let found: string | undefined;
  const walk = (node: unknown, path: string): void => {
    if (found !== undefined) return;
    if (node === target) {
      found = path;
      return;
    }
    if (isMap(node)) for (const pair of node.items) walk(pair.value, `${path ? `${path}.` : ""}${isScalar(pair.key) ? String(pair.key.value) : String(pair.key)}`);
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, `${path}[${i}]`));
  };
  walk(doc.contents, "");
  return found;
}

/**
 * Model entries as written (before variables), by name, as canonical JSON of the entry and every
 * entry it `extends`: a change to a parent changes the model too.
 */
function entriesByName(text: string): Map<string, { json: string; inherited: string; index: number; protected: boolean }> {
  const out = new Map<string, { json: string; inherited: string; index: number; protected: boolean }>();
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return out;
  }
  const list = (doc as { model_list?: unknown } | null)?.model_list;
  if (!Array.isArray(list)) return out;
  const byName = new Map<string, { entry: unknown; index: number }>();
  list.forEach((entry, index) => {
    const name = (entry as { model_name?: unknown } | null)?.model_name;
    if (typeof name === "string" && !byName.has(name)) byName.set(name, { entry, index });
  });
  for (const [name, { entry, index }] of byName) {
    const chain: unknown[] = [entry];
    const seen = new Set([name]);
    for (let parent = (entry as { extends?: unknown } | null)?.extends; typeof parent === "string" && !seen.has(parent); ) {
      seen.add(parent);
      const found = byName.get(parent)?.entry;
      chain.push(found ?? null);
      parent = (found as { extends?: unknown } | null)?.extends;
    }
    out.set(name, { json: canonicalJson(entry), inherited: canonicalJson(chain.slice(1)), index, protected: (entry as { protected?: unknown } | null)?.protected === true });
  }
  return out;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Why a change made through the admin API is refused although the loader would accept it. */
export function adminChangeProblems(before: { text: string; mistakes: LoadedConfig["mistakes"] }, after: { text: string; mistakes: LoadedConfig["mistakes"] }): Array<{ path: string; message: string }> {
  const known = new Set(before.mistakes.map((m) => m.message));
  const problems = after.mistakes.filter((m) => !known.has(m.message));
  const was = entriesByName(before.text);
  const now = entriesByName(after.text);
  for (const [name, entry] of was) {
    if (!entry.protected) continue;
    const next = now.get(name);
    if (!next) problems.push({ path: "model_list", message: `model "${name}" is protected: it cannot be deleted through the admin API (edit the config file)` });
    else if (next.json !== entry.json) problems.push({ path: `model_list[${next.index}]`, message: `model "${name}" is protected: it cannot be changed through the admin API (edit the config file)` });
    else if (next.inherited !== entry.inherited) problems.push({ path: `model_list[${next.index}]`, message: `model "${name}" is protected: what it extends cannot be changed through the admin API (edit the config file)` });
  }
  return problems;
}

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

export class ConfigManager {
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastWritten: string | undefined;

  constructor(
    private readonly runtime: ProxyRuntime,
    private readonly db: Database | undefined,
    private readonly bus: PgBus | undefined,
    private readonly log: { info(o: object, m: string): void; warn(o: object, m: string): void },
    /** Variables for `${VAR}` (configs/.env and the environment, as at start-up). */
    private readonly vars: Record<string, string>,
  ) {
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
    const newest = await this.db.prisma.configVersion.findFirst({ orderBy: { version: "desc" } });
    if (newest?.yaml === this.runtime.config.source.text) return;
    await this.db.prisma.configVersion.create({ data: { author: "startup", yaml: this.runtime.config.source.text, summary: `loaded from ${this.path}` } });
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
    const next: ProxyConfig = { ...loaded.config, server: before.server, databaseUrl: before.databaseUrl, adminPassword: before.adminPassword };
    this.runtime.apply(next);
    const warnings = [...loaded.warnings];
    if (loaded.config.server.port !== before.server.port || loaded.config.server.host !== before.server.host) {
      warnings.push("proxy_settings.server: the listen address changes at the next restart");
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
      const row = await this.db.prisma.configVersion.create({ data: { author, yaml: text, summary: summarize(before, next) } });
      version = row.version;
      if (opts.notify !== false) this.bus?.notify("yallmp_config", { version });
    }
    this.log.info({ author, version, models: [...next.models.keys()] }, "config applied");
    return { version, warnings };
  }

  async versions(limit = 100): Promise<VersionInfo[]> {
    if (!this.db) return [];
    const rows = await this.db.prisma.configVersion.findMany({ orderBy: { version: "desc" }, take: limit });
    return rows.map((r: { version: number; createdAt: Date; author: string; summary: string }) => ({ version: r.version, createdAt: r.createdAt.toISOString(), author: r.author, summary: r.summary }));
  }

  async version(version: number): Promise<(VersionInfo & { yaml: string; diff: string }) | undefined> {
    if (!this.db) return undefined;
    const row = await this.db.prisma.configVersion.findUnique({ where: { version } });
    if (!row) return undefined;
    const prev = await this.db.prisma.configVersion.findFirst({ where: { version: { lt: version } }, orderBy: { version: "desc" } });
    const diff = createTwoFilesPatch(`v${prev?.version ?? 0}`, `v${version}`, maskSecrets(prev?.yaml ?? ""), maskSecrets(row.yaml));
    return { version: row.version, createdAt: row.createdAt.toISOString(), author: row.author, summary: row.summary, yaml: maskSecrets(row.yaml), diff };
  }

  async rollback(version: number, author: string): Promise<{ version: number | null; warnings: string[] } | undefined> {
    if (!this.db) return undefined;
    const row = await this.db.prisma.configVersion.findUnique({ where: { version } });
    if (!row) return undefined;
    return this.apply(row.yaml, `${author} (rollback to v${version})`);
  }

  /** Another replica applied a version: apply the same text here. */
  private async applyVersionFromPeer(version: number): Promise<void> {
    if (!this.db || !Number.isInteger(version)) return;
    try {
      const row = await this.db.prisma.configVersion.findUnique({ where: { version } });
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
    try {
      this.watcher = watch(dirname(this.path), (_event, file) => {
        if (file && join(dirname(this.path), file.toString()) !== this.path) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reloadFromDisk().catch((err: unknown) => this.runtime.ops.backgroundError("config_watch", err)), debounceMs);
      });
      this.watcher.on("error", (err) => this.runtime.ops.backgroundError("config_watch", err));
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
    clearTimeout(this.debounce);
    this.watcher?.close();
  }
}
