import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WARNING_CODES } from "@yallmproxy/translate";
import { Errors, ProxyError } from "./errors.js";

const root = new URL("../../../", import.meta.url);
const src = new URL("./", import.meta.url).pathname;

/** The codes in the README's "Errors" table (the last column, every `code` in it). */
function readmeCodes(): Set<string> {
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const section = readme.slice(readme.indexOf("### Errors"), readme.indexOf("\n## ", readme.indexOf("### Errors")));
  const codes = new Set<string>();
  for (const line of section.split("\n")) {
    if (!line.startsWith("| ")) continue;
    const last = line.split("|").at(-2) ?? "";
    for (const m of last.matchAll(/`([a-z_]+)`/g)) codes.add(m[1]!);
  }
  return codes;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("the README's error table", () => {
  const listed = readmeCodes();

  it("lists every code of the error catalogue", () => {
    // These carry the code an upstream, the translator or Fastify chose; a 499 is never sent.
    const relayed = new Set(["upstreamRefused", "upstreamSaid", "untranslatable", "frameworkRefusal", "clientGone"]);
    const adminDoc = readFileSync(new URL("docs/admin-api.md", root), "utf8");
    for (const [name, make] of Object.entries(Errors)) {
      if (relayed.has(name)) continue;
      const code = (make as (...args: unknown[]) => ProxyError)("x", "x").code;
      // The admin API's codes are documented with it.
      if (name.startsWith("admin")) expect(adminDoc, `docs/admin-api.md lacks ${code} (${name})`).toMatch(new RegExp(`\\b${code}\\b`));
      else expect(listed, `README Errors table lacks ${code} (${name})`).toContain(code);
    }
  });

  it("lists every code a client route answers with", () => {
    // Admin codes live in docs/admin-api.md; the mock's failure is an upstream's own body; a 499 is never sent;
    // translation warnings are codes of the trace, not of an error answer.
    const elsewhere = new Set<string>(["client_closed_request", "mock_failure", "server_error", ...WARNING_CODES]);
    // The catalogue's admin entries are checked against docs/admin-api.md above.
    const adminOnly = Object.entries(Errors)
      .filter(([name]) => name.startsWith("admin"))
      .map(([, make]) => (make as (...args: unknown[]) => ProxyError)("x", "x").code);
    for (const code of adminOnly) if (code && !listed.has(code)) elsewhere.add(code);
    const admin = join(src, "routes", "admin");
    for (const file of sourceFiles(src).filter((f) => !f.startsWith(admin))) {
      for (const m of readFileSync(file, "utf8").matchAll(/code: "([a-z_]+)"/g)) {
        if (!elsewhere.has(m[1]!)) expect(listed, `README Errors table lacks ${m[1]} (${file})`).toContain(m[1]);
      }
    }
  });

  it("every error is made by the catalogue: no ProxyError is built outside errors.ts", () => {
    const own = join(src, "errors.ts");
    const outside = sourceFiles(src).filter((f) => f !== own && /new ProxyError\(/.test(readFileSync(f, "utf8")));
    expect(outside).toEqual([]);
  });
});
