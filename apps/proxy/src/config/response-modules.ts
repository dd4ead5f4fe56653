// Response modules per model route: the model's own `modules` (or legacy `parsers`, also under
// `model_params`) replace the global `proxy_settings.modules`, as in yaLLMproxy. Chat templates
// named by `template_path` are read here, bounded; what cannot be used is a start-up warning.

import { closeSync, openSync, readSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { MAX_TEMPLATE_BYTES } from "@yallmproxy/api";
import { type ModulesSetup, type TemplateReader, codecs, responseModulesOf } from "@yallmproxy/translate";
import { formatOfApiType } from "../upstream/types.js";
import type { ModelRoute } from "./config-types.js";
import type { RawModelEntry } from "./schema.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where a relative `template_path` is looked for: the working directory (as yaLLMproxy), the config's folder, its parent. */
export function templateDirs(configPath: string): string[] {
  const dir = dirname(configPath);
  return [process.cwd(), dir, dirname(dir)];
}

export function readTemplateFile(path: string, dirs: readonly string[]): { text: string } | { error: string } {
  const candidates = isAbsolute(path) ? [path] : dirs.map((d) => resolve(d, path));
  for (const file of candidates) {
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      size = st.size;
    } catch {
      continue;
    }
    if (size > MAX_TEMPLATE_BYTES) return { error: `larger than ${MAX_TEMPLATE_BYTES} bytes` };
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(size);
      readSync(fd, buf, 0, size, 0);
      return { text: buf.toString("utf8") };
    } finally {
      closeSync(fd);
    }
  }
  return { error: "not found" };
}

/** The global section: `proxy_settings.modules`, else the legacy `proxy_settings.parsers`. */
export function globalModulesSection(proxySettings: unknown, warnings: string[]): unknown {
  if (!isObj(proxySettings)) return undefined;
  const { modules, parsers } = proxySettings;
  if (isObj(modules) && isObj(parsers)) warnings.push("proxy_settings: both 'modules' and the legacy 'parsers' are set; 'modules' is used");
  if (isObj(modules)) {
    if (isObj(modules.downstream) && modules.downstream.enabled)
      warnings.push("proxy_settings.modules.downstream: request modules are not implemented, ignored");
    return modules;
  }
  return parsers;
}

function entrySection(entry: RawModelEntry): unknown {
  const params: Obj = entry.model_params;
  return entry.modules ?? (entry as Obj).parsers ?? params.modules ?? params.parsers;
}

export interface RouteModules {
  modules: ModulesSetup["modules"];
  /** The settings each module runs with, for inspection. */
  effective: ModulesSetup["effective"];
}

/** The modules that run on a route's answers, or undefined; every problem becomes a warning. */
export function modulesForRoute(
  entry: RawModelEntry,
  route: ModelRoute,
  globalSection: unknown,
  read: TemplateReader,
  warnings: string[],
  where: string,
): RouteModules | undefined {
  const own = entrySection(entry);
  const setup = own !== undefined && own !== null ? responseModulesOf(own, true, read) : responseModulesOf(globalSection, false, read);
  const label = own !== undefined && own !== null ? `${where} (${route.name}): modules` : `proxy_settings.modules (for ${route.name})`;
  if (!setup) return undefined;
  for (const p of setup.problems) warnings.push(`${label}: ${p}`);
  if (setup.modules.length === 0) return undefined;
  const backendPath = codecs[formatOfApiType(route.apiType)].path;
  if (!setup.paths.some((p) => backendPath.includes(p))) {
    // The global section names its paths for every model; only a model's own section is worth a warning.
    if (own !== undefined && own !== null) warnings.push(`${label}: paths ${setup.paths.join(", ")} do not cover this backend's ${backendPath}; not applied`);
    return undefined;
  }
  return { modules: setup.modules, effective: setup.effective };
}
