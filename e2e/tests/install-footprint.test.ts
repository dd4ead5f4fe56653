// What `npm ci` installs: the agent CLIs (about 800 MB) stay out of the workspace lock; they are
// pinned exactly in e2e/clis, where the agent tests install them on first use (e2e/lib/clis.ts).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface Lock {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
}
interface Manifest {
  dependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

const read = <T>(path: string): T => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8")) as T;
const CLIS = ["@anthropic-ai/claude-code", "@openai/codex"];

describe("install footprint", () => {
  it("npm ci installs neither agent CLI nor allows a script for one", () => {
    const lock = read<Lock>("package-lock.json");
    const cliPaths = Object.keys(lock.packages).filter((p) => CLIS.some((name) => p.includes(`node_modules/${name}`)));
    expect(cliPaths).toEqual([]);
    expect(Object.keys(read<Manifest>("package.json").allowScripts ?? {})).not.toContain("@anthropic-ai/claude-code");
  });

  it("the agent CLIs are pinned to exact versions in e2e/clis, locked, with Claude Code's postinstall allowed", () => {
    const manifest = read<Manifest>("e2e/clis/package.json");
    const lock = read<Lock>("e2e/clis/package-lock.json");
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(CLIS);
    for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version);
    }
    expect(lock.packages[""]?.dependencies).toEqual(manifest.dependencies);
    // Its postinstall links the platform's native binary into bin/claude.exe.
    expect(manifest.allowScripts).toEqual({ "@anthropic-ai/claude-code": true });
  });
});
