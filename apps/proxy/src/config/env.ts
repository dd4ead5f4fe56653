// `${VAR}` / `$VAR` substitution for config values: configs/.env first, then the process environment.

import { existsSync, readFileSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { parseEnv } from "node:util";

/** `.env` beside the config; `.env_<suffix>` for `config_<suffix>.yaml`, as yaLLMproxy pairs them. */
export function dotEnvPathOf(configPath: string): string {
  const stem = basename(configPath, extname(configPath));
  const suffix = stem.startsWith("config_") ? stem.slice("config_".length) : "";
  return join(dirname(configPath), suffix ? `.env_${suffix}` : ".env");
}

export function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export function readDotEnv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, "utf8")) as Record<string, string>;
}

/**
 * Sets variables in a .env file (a value of `undefined` removes the variable), keeping every other
 * line; written atomically and readable by its owner only, since it holds secrets.
 */
export async function writeDotEnv(path: string, vars: Record<string, string | undefined>): Promise<void> {
  let text = "";
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const names = new Set(Object.keys(vars));
  const kept = text.split("\n").filter((line) => {
    const name = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    return !(name && names.has(name));
  });
  while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /[\r\n]/.test(value)) throw new Error(`cannot write ${name} to ${path}`);
    kept.push(`${name}=${/^[\w.:/+=@-]*$/.test(value) ? value : JSON.stringify(value)}`);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, kept.length ? `${kept.join("\n")}\n` : "", { mode: 0o600 });
  await rename(tmp, path);
}

const VAR_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Replaces variables in every string of a parsed YAML tree. A variable set nowhere becomes an empty
 * string and is reported, so a config with placeholders for keys nobody has still loads.
 */
export function substituteEnv(node: unknown, vars: Record<string, string | undefined>, missing: Set<string>): unknown {
  if (typeof node === "string") {
    if (!node.includes("$")) return node;
    return node.replace(VAR_PATTERN, (_m, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const value = vars[name];
      if (value === undefined) {
        missing.add(name);
        return "";
      }
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((item) => substituteEnv(item, vars, missing));
  if (node !== null && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = substituteEnv(v, vars, missing);
    return out;
  }
  return node;
}
