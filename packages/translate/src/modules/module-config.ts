// A `modules.upstream` section (or the legacy `parsers` one) read into response modules: the
// names and aliases yaLLMproxy accepts, its coercions ("true", "200"), a chat template's detected
// tags under explicit settings. Pure: the caller reads template files and gets every problem as text.

import { K2_MARKERS, inspectTemplate, type TemplateTags } from "./template-analysis.js";
import type { ResponseModule } from "./module.js";
import { parseTagsModule, type ParseTagsSettings } from "./parse-tags.js";
import { swapReasoningModule, type SwapMode, type SwapReasoningSettings } from "./swap-reasoning.js";
import { jsonToolBlockParser, parseQwenToolBlock, parseXmlToolBlock } from "./tool-call-blocks.js";

/** An open tool block longer than this (characters) is text, when `tool_buffer_limit` is not set. */
export const DEFAULT_TOOL_BUFFER_LIMIT = 1_048_576;

export type TemplateReader = (path: string) => { text: string } | { error: string };

export interface ModulesSetup {
  modules: ResponseModule[];
  paths: string[];
  /** The settings each module runs with, for inspection. */
  effective: Record<string, Record<string, unknown>>;
  problems: string[];
}

const MODULE_ALIASES: Record<string, "parse_tags" | "swap_reasoning_content"> = {
  parse_tags: "parse_tags",
  parse_unparsed: "parse_tags",
  parse_unparsed_tags: "parse_tags",
  parse_template: "parse_tags",
  parse_unparsed_template: "parse_tags",
  swap_reasoning_content: "swap_reasoning_content",
  swap_reasoning: "swap_reasoning_content",
};

const SWAP_MODES: Record<string, SwapMode> = {
  to_content: "reasoning_to_content",
  reasoning_to_content: "reasoning_to_content",
  "reasoning-to-content": "reasoning_to_content",
  to_reasoning: "content_to_reasoning",
  content_to_reasoning: "content_to_reasoning",
  "content-to-reasoning": "content_to_reasoning",
  auto: "auto",
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function coerceBool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v === "string") return ["1", "true", "yes", "on"].includes(v.trim().toLowerCase());
  return Boolean(v);
}

function coerceInt(v: unknown): number | undefined {
  if (typeof v === "boolean" || v === null || v === undefined) return undefined;
  const n = Number(String(v).trim());
  return Number.isInteger(n) ? n : undefined;
}

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x) => x !== null && x !== undefined).map(String);
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

/** The upstream part of a modules section: `{upstream: {…}}` (with a top-level `enabled`), or a flat one. */
export function upstreamSection(section: unknown): Obj | undefined {
  if (!isObj(section)) return undefined;
  if (!("upstream" in section) && !("downstream" in section)) return section;
  const up = isObj(section.upstream) ? { ...section.upstream } : {};
  if (!("enabled" in up) && "enabled" in section) up.enabled = section.enabled;
  return up;
}

function loadTemplate(path: unknown, read: TemplateReader, problems: string[], module: string, thinkTag?: string): TemplateTags | undefined {
  const p = str(path)?.trim();
  if (!p) return undefined;
  const got = read(p);
  if ("error" in got) {
    problems.push(`${module}.template_path ${p}: ${got.error}; using the defaults`);
    return undefined;
  }
  return inspectTemplate(got.text, thinkTag);
}

function toolParser(name: string, format: "xml" | "json", separator: string, problems: string[]): ParseTagsSettings["parseBlock"] {
  if (format === "json") return jsonToolBlockParser(separator);
  if (name === "qwen_xml") return parseQwenToolBlock;
  if (!["xml", "xmlish", "legacy_xml"].includes(name)) problems.push(`parse_tags.tool_parser '${name}' is unknown; using xml`);
  return parseXmlToolBlock;
}

function parseTagsSettings(cfg: Obj, read: TemplateReader, problems: string[]): { settings: ParseTagsSettings; effective: Obj } {
  const t = loadTemplate(cfg.template_path, read, problems, "parse_tags");
  const derivedJson = t?.toolFormat === "k2";
  const pick = (key: string, derived: unknown, fallback: string): string => str(cfg[key]) ?? str(derived) ?? fallback;
  let format = pick("tool_arg_format", derivedJson ? "json" : t?.toolFormat ? "xml" : undefined, "xml")
    .trim()
    .toLowerCase();
  if (format !== "xml" && format !== "json") {
    problems.push(`parse_tags.tool_arg_format '${format}' is unknown; using xml`);
    format = "xml";
  }
  const json = format === "json";
  const toolTag = pick("tool_tag", t?.toolTag, "tool_call");
  const thinkTag = pick("think_tag", t?.thinkTag, "think");
  const parserName = (str(cfg.tool_parser) ?? format).trim().toLowerCase();
  const separator = pick("tool_arg_separator", undefined, K2_MARKERS.argOpen);
  const parseToolCalls = coerceBool(cfg.parse_tool_calls, true);
  const limit = coerceInt(cfg.tool_buffer_limit);
  const dropTags =
    cfg.drop_tags !== undefined && cfg.drop_tags !== null ? list(cfg.drop_tags) : derivedJson ? [K2_MARKERS.sectionOpen, K2_MARKERS.sectionClose] : [];
  const settings: ParseTagsSettings = {
    parseThinking: coerceBool(cfg.parse_thinking, true),
    thinkOpen: `<${thinkTag}>`,
    thinkClose: `</${thinkTag}>`,
    parseToolCalls,
    toolOpen: pick("tool_open", json && t ? K2_MARKERS.callOpen : undefined, `<${toolTag}>`),
    toolClose: pick("tool_close", json && t ? K2_MARKERS.callClose : undefined, `</${toolTag}>`),
    parseBlock: toolParser(parserName, json ? "json" : "xml", separator, problems),
    streamToolCalls: coerceBool(cfg.stream_tool_calls, false) && parseToolCalls && !json,
    dropTags,
    toolBufferLimit: limit !== undefined && limit > 0 ? limit : DEFAULT_TOOL_BUFFER_LIMIT,
    dropAfterToolCall: parseToolCalls,
    startInThink: coerceBool(cfg.start_in_think, false),
  };
  const { parseBlock: _parser, ...shown } = settings;
  return {
    settings,
    effective: { ...shown, toolArgFormat: format, toolParser: parserName, ...(json ? { toolArgSeparator: separator } : {}), ...(t ? { fromTemplate: t } : {}) },
  };
}

function affix(v: unknown): { prefix: string; suffix: string } | undefined {
  if (typeof v === "string") return { prefix: v, suffix: "" };
  if (isObj(v)) return { prefix: str(v.prefix) ?? "", suffix: str(v.suffix) ?? "" };
  return undefined;
}

function swapReasoningSettings(cfg: Obj, read: TemplateReader, problems: string[]): SwapReasoningSettings {
  // As yaLLMproxy: the template is read for the wrapping around the configured tag (default think).
  const thinkTag = str(cfg.think_tag) ?? "think";
  const t = loadTemplate(cfg.template_path, read, problems, "swap_reasoning_content", thinkTag);
  const rawMode = (str(cfg.mode) ?? "reasoning_to_content").trim().toLowerCase();
  const mode = SWAP_MODES[rawMode];
  if (!mode) problems.push(`swap_reasoning_content.mode '${rawMode}' is unknown; using reasoning_to_content`);
  return {
    mode: mode ?? "reasoning_to_content",
    thinkTag,
    thinkOpen: affix(cfg.think_open) ?? t?.thinkOpen ?? { prefix: "", suffix: "" },
    thinkClose: affix(cfg.think_close) ?? t?.thinkClose ?? { prefix: "", suffix: "" },
    includeNewline: coerceBool(cfg.include_newline, t ? t.includeNewline : true),
  };
}

/**
 * Response modules of one section (`enabledDefault`: per-model sections are on unless they say
 * `enabled: false`; the global one is off unless it says `enabled: true`). Undefined when none run.
 */
export function responseModulesOf(section: unknown, enabledDefault: boolean, read: TemplateReader): ModulesSetup | undefined {
  const cfg = upstreamSection(section);
  if (!cfg || !coerceBool(cfg.enabled, enabledDefault)) return undefined;
  const problems: string[] = [];
  const effective: Record<string, Obj> = {};
  const built: ResponseModule[] = [];
  for (const name of list(cfg.response)) {
    const kind = MODULE_ALIASES[name];
    if (!kind) {
      problems.push(`response module '${name}' is unknown; skipped`);
      continue;
    }
    const own = isObj(cfg[name]) ? cfg[name] : {};
    if (kind === "parse_tags") {
      const { settings, effective: shown } = parseTagsSettings(own, read, problems);
      effective.parse_tags = shown;
      built.push(parseTagsModule(settings));
    } else {
      const settings = swapReasoningSettings(own, read, problems);
      effective.swap_reasoning_content = { ...settings };
      built.push(swapReasoningModule(settings));
    }
  }
  if (built.length === 0) return problems.length > 0 ? { modules: [], paths: [], effective, problems } : undefined;
  // Tags are parsed before reasoning is swapped, whatever the listed order.
  built.sort((a, b) => Number(a.name === "swap_reasoning_content") - Number(b.name === "swap_reasoning_content"));
  const paths = list(cfg.paths).filter((p) => p !== "");
  return { modules: built, paths: paths.length > 0 ? paths : ["/chat/completions"], effective, problems };
}
