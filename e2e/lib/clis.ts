// The coding-agent CLIs the agent tests drive (Claude Code, Codex). They are pinned in
// e2e/clis/package.json and its lock, not in the workspace, so a plain `npm ci` stays light; the
// first test that needs them installs them into e2e/clis/node_modules (git-ignored) and every
// later run reuses that install while the pinned files are unchanged.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../clis/", import.meta.url));
const MODULES = join(DIR, "node_modules");
export const CLAUDE_BIN = join(MODULES, ".bin", "claude");
const CODEX_BIN = join(MODULES, ".bin", "codex");

/** Codex's config: the proxy as its only provider, with no retries so a failure shows at once. */
export function codexProviderToml(baseUrl: string, model: string): string {
  return `model = "${model}"
model_provider = "proxy"

[model_providers.proxy]
name = "proxy"
base_url = "${baseUrl}"
env_key = "PROXY_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`;
}

/**
 * Runs `codex exec` with its own CODEX_HOME (none of the caller's OPENAI_ or CODEX_ variables) and
 * `env` added, collecting its output. The commands Codex runs are scripted by the tests in a
 * throwaway directory, so the sandbox (which needs user namespaces some CI containers lack) is bypassed.
 */
export async function execCodex(opts: {
  home: string;
  cwd: string;
  prompt: string;
  env: Record<string, string>;
  json?: boolean;
}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OPENAI_") && !k.startsWith("CODEX_")) env[k] = v;
  Object.assign(env, { CODEX_HOME: opts.home, NO_COLOR: "1" }, opts.env);
  const args = ["exec", ...(opts.json ? ["--json"] : []), "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", opts.prompt];
  const child = spawn(CODEX_BIN, args, { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
  const [code] = (await once(child, "close")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Claude Code's environment for a test run: its own home, the proxy as its API, nothing else called. */
export function claudeEnv(home: string, baseUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, ".claude"),
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: "test-key",
    CLAUDE_CODE_MAX_RETRIES: "0",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  };
}
/** Written after a complete install; holds the hash of the pinned files it was made from. */
const STAMP = join(MODULES, ".yallmproxy-installed");
/** A directory (mkdir is atomic) held by the one process installing; test files run in parallel. */
const LOCK = join(DIR, ".install-lock");
/** Long enough for a download of both CLIs (about 250 MB of tarballs) on a slow link. */
export const INSTALL_TIMEOUT_MS = 600_000;

function pinnedHash(): string {
  const h = createHash("sha256");
  for (const f of ["package.json", "package-lock.json"]) h.update(readFileSync(join(DIR, f)));
  return h.digest("hex");
}

function installed(hash: string): boolean {
  try {
    return readFileSync(STAMP, "utf8") === hash && existsSync(CLAUDE_BIN) && existsSync(CODEX_BIN);
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the lock's holder is gone (killed mid-install), so the lock may be taken over. */
function lockIsStale(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, "pid"), "utf8"));
    return Number.isInteger(pid) && pid > 0 && !alive(pid);
  } catch {
    // No pid file yet: the holder is between mkdir and writing it, unless that was long ago.
    try {
      return Date.now() - statSync(LOCK).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
}

async function withLock(deadline: number, fn: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (lockIsStale()) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for another process installing the CLIs (${LOCK})`, { cause: err });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    writeFileSync(join(LOCK, "pid"), String(process.pid));
    await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** npm settings the surrounding `npm test` exports that would retarget or filter the nested install. */
const INHERITED_NPM =
  /^npm_(lifecycle_|package_|command$|config_(workspaces?|include_workspace_root|global|prefix|local_prefix|allow_scripts|call|omit|include|dry_run|package_lock_only|ignore_scripts)$)/i;

function npmCi(deadline: number): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !INHERITED_NPM.test(k)) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["ci", "--prefix", DIR, "--no-audit", "--no-fund", "--loglevel=error"], { cwd: DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), Math.max(0, deadline - Date.now()));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`npm ci in ${DIR} failed (${signal ?? `exit ${code}`}):\n${out.slice(-4000)}`));
    });
  });
}

/** Installs the pinned CLIs unless this exact pin is already installed; safe to call from parallel test files. */
export async function ensureClis(): Promise<void> {
  const hash = pinnedHash();
  if (installed(hash)) return;
  const deadline = Date.now() + INSTALL_TIMEOUT_MS - 5_000;
  await withLock(deadline, async () => {
    if (installed(hash)) return;
    const started = Date.now();
    await npmCi(deadline);
    if (!existsSync(CLAUDE_BIN) || !existsSync(CODEX_BIN)) throw new Error(`npm ci in ${DIR} finished without ${CLAUDE_BIN} and ${CODEX_BIN}`);
    writeFileSync(STAMP, hash);
    console.log(`installed the pinned Claude Code and Codex CLIs into ${MODULES} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
}
