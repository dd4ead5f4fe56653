// `${VAR}` / `$VAR` substitution for config values: configs/.env first, then the process environment.

import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";

export function readDotEnv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, "utf8")) as Record<string, string>;
}

const VAR_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Replaces variables in every string of a parsed YAML tree. A variable set nowhere becomes an empty
 * string and is reported, so a config with placeholders for keys nobody has still loads.
 */
export function substituteEnv(
  node: unknown,
  vars: Record<string, string | undefined>,
  missing: Set<string>,
): unknown {
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
