// What the models and keys calls share: reading the lists of the running config text, applying an
// edit of that text (validated, written, versioned like `PUT /admin/config`), and keeping secrets
// out of the file (configs/.env holds them; the config refers to them as `${VAR}`).

import type { ConfigInvalid } from "@yallmproxy/api";
import type { FastifyInstance, FastifyReply } from "fastify";
import { isMap, isSeq, parseDocument, type YAMLMap } from "yaml";
import type { ConfigManager } from "../../config/config-manager.js";
import { ConfigValidationError } from "../../config/config-problems.js";
import { MASK, ONLY_REFERENCES } from "../../config/secret-mask.js";
import { YamlEditor } from "../../config/yaml-edit.js";
import { requireAdmin } from "./admin-auth.js";

/** Variables this API creates for key secrets in configs/.env. */
export const KEY_VAR_PREFIX = "YALLMP_KEY_";
/** …and for a model's upstream api_key and header values. */
const MODEL_VAR_PREFIX = "YALLMP_MODEL_";
export const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The entries of the list at `path` of the config text (absent list = none). */
export function entriesOf(text: string, path: string[]): YAMLMap[] {
  const seq = parseDocument(text).getIn(path, true);
  return isSeq(seq) ? (seq.items.filter((i) => isMap(i)) as YAMLMap[]) : [];
}

export function indexOf(text: string, path: string[], field: string, value: string): number {
  const seq = parseDocument(text).getIn(path, true);
  return isSeq(seq) ? seq.items.findIndex((item) => isMap(item) && item.get(field) === value) : -1;
}

/** A change that does not validate, as the 400 (or the invalid draft) answers it. */
export function invalidConfig(err: unknown, what = "The config is invalid"): ConfigInvalid {
  if (!(err instanceof ConfigValidationError)) throw err;
  const first = err.problems[0];
  return {
    error: {
      message: `${what}: ${err.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
      type: "invalid_request_error",
      param: first?.path ?? null,
      code: "invalid_config",
    },
    errors: err.problems,
  };
}

/** Problems inside `model_list[at]` also give their path within that entry, so a form can show each at its field. */
function withEntryFields(answer: ConfigInvalid, at: number | undefined): ConfigInvalid {
  if (at === undefined) return answer;
  const prefix = `model_list[${at}].`;
  return { ...answer, errors: answer.errors.map((p) => (p.path.startsWith(prefix) ? { ...p, field: p.path.slice(prefix.length) } : p)) };
}

export type EnvChanges = Record<string, string | undefined>;

/** The running text, and applying an edit of it; the admin credential hook of these routes. */
export function editing(scope: FastifyInstance, manager: ConfigManager) {
  const text = () => scope.runtime.config.source.text;

  /** Applies an edit of the running config text; answers 400 with every problem if it does not validate. */
  const edit = async <T extends object = object>(
    reply: FastifyReply,
    author: string,
    change: (editor: YamlEditor) => T | void,
    env?: EnvChanges,
    entryAt?: number,
  ) => {
    const editor = new YamlEditor(text());
    const result = change(editor);
    try {
      const applied = await manager.apply(editor.text, author, env && Object.keys(env).length ? { env } : {});
      return { ...applied, ...(result ?? {}) } as { version: number | null; warnings: string[] } & T;
    } catch (err) {
      return reply.code(400).send(withEntryFields(invalidConfig(err, "The change makes the config invalid"), entryAt));
    }
  };

  return { text, edit, onRequest: requireAdmin(() => scope.runtime.config.adminPassword) };
}

/** An edit that replaces the whole document with `next` (built on a copy first), answering `answer`. */
export function setText<T extends object = object>(next: string, answer?: T): (editor: YamlEditor) => T {
  return (editor) => {
    editor.text = next;
    return answer ?? ({} as T);
  };
}

export const envName = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "_");

/** Whether a config value holds a secret in clear (not empty, not a `${VAR}` reference, not the mask). */
const inClear = (v: unknown): v is string => typeof v === "string" && v !== "" && v !== MASK && !ONLY_REFERENCES.test(v);

/**
 * The model entry as the config file gets it: its upstream `api_key` and `headers` values given in
 * clear are moved to `env` (for configs/.env) and replaced by `${YALLMP_MODEL_<NAME>_…}`.
 */
export function modelSecretsToEnv(
  entry: Record<string, unknown>,
  name: string,
  env: EnvChanges,
  taken: EnvChanges,
  configText: string,
): Record<string, unknown> {
  const params = entry.model_params;
  if (typeof params !== "object" || params === null || Array.isArray(params)) return entry;
  const out: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  const claimed = Object.fromEntries(Object.entries(taken).filter(([, v]) => v !== undefined));
  const toEnv = (base: string, value: string): string => {
    const variable = freeVariable(`${MODEL_VAR_PREFIX}${envName(name)}_${base}`, claimed, configText);
    claimed[variable] = value;
    env[variable] = value;
    return `\${${variable}}`;
  };
  if (inClear(out.api_key)) out.api_key = toEnv("API_KEY", out.api_key);
  const headers = out.headers;
  if (typeof headers === "object" && headers !== null && !Array.isArray(headers)) {
    out.headers = Object.fromEntries(
      Object.entries(headers as Record<string, unknown>).map(([h, v]) => [h, inClear(v) ? toEnv(`HEADER_${envName(h)}`, v) : v]),
    );
  }
  return { ...entry, model_params: out };
}

/** Variables this API made for model secrets that the new text no longer refers to leave configs/.env. */
export function dropUnusedModelVariables(before: string, after: string, env: EnvChanges): void {
  for (const m of before.matchAll(/\$\{(YALLMP_MODEL_[A-Z0-9_]+)\}/g)) {
    if (!after.includes(m[0])) env[m[1]!] = undefined;
  }
}

/** `base`, or `base_2`, `base_3`, … : the first name no variable and no config reference uses. */
export function freeVariable(base: string, taken: EnvChanges, configText: string): string {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (taken[name] === undefined && !configText.includes(`\${${name}}`) && !configText.includes(`$${name}`)) return name;
  }
}

const FALLBACKS = ["router_settings", "fallbacks"];

/** The `router_settings.fallbacks` items as `[model, targets]`, in file order (other shapes: null). */
function fallbackItems(text: string): Array<[string, unknown[]] | null> {
  const seq = parseDocument(text).getIn(FALLBACKS, true);
  if (!isSeq(seq)) return [];
  return seq.items.map((item) => {
    if (!isMap(item) || item.items.length !== 1) return null;
    const [model, targets] = Object.entries(item.toJSON() as Record<string, unknown>)[0]!;
    return [model, Array.isArray(targets) ? targets : [targets]];
  });
}

/** Sets the fallbacks of `model` as yaLLMproxy does: its item replaced, added last, or (empty) removed. */
export function setFallbacks(editor: YamlEditor, model: string, targets: string[]): void {
  const at = fallbackItems(editor.text).findIndex((i) => i?.[0] === model);
  if (targets.length === 0) {
    if (at >= 0) editor.remove(FALLBACKS, at);
  } else if (at >= 0) editor.replace(FALLBACKS, at, { [model]: targets });
  else editor.append(FALLBACKS, { [model]: targets });
}

/**
 * Deleted models' own `router_settings.fallbacks` items go with them (as yaLLMproxy's delete did);
 * another model naming one of them stays, and the validation refuses the delete.
 */
export function dropOwnFallbacks(editor: YamlEditor, deleted: string[]): void {
  const seq = parseDocument(editor.text).getIn(FALLBACKS, true);
  if (!isSeq(seq)) return;
  for (let i = seq.items.length - 1; i >= 0; i--) {
    const item = seq.items[i];
    if (!isMap(item) || !deleted.some((name) => item.has(name))) continue;
    const rest = Object.fromEntries(Object.entries(item.toJSON() as Record<string, unknown>).filter(([k]) => !deleted.includes(k)));
    if (Object.keys(rest).length === 0) editor.remove(FALLBACKS, i);
    else editor.replace(FALLBACKS, i, rest);
  }
}

/** The fallbacks the text gives `model`. */
export function fallbacksOf(text: string, model: string): string[] {
  const item = fallbackItems(text).find((i) => i?.[0] === model);
  return item ? item[1].filter((t): t is string => typeof t === "string") : [];
}
