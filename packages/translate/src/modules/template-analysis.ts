// Reads a model's Jinja chat template for the tags the model writes: the think tag, the tool-call
// format (`<tool_call>` XML or Kimi K2's `<|tool_call_begin|>` markers) and how reasoning is wrapped
// when the template renders it back. Plain text matching; the template is never run.

export const K2_MARKERS = {
  callOpen: "<|tool_call_begin|>",
  argOpen: "<|tool_call_argument_begin|>",
  callClose: "<|tool_call_end|>",
  sectionOpen: "<|tool_calls_section_begin|>",
  sectionClose: "<|tool_calls_section_end|>",
} as const;

const THINK_PREFERENCE = ["think", "analysis", "reasoning", "thought"];
const NOT_THINK = new Set(["tool_call", "function_call", "tool", "arg_key", "arg_value"]);
const STRING_LITERAL = /(['"])((?:\\[\s\S]|(?!\1)[\s\S])*?)\1/g;
const EXPRESSION = /\{\{([\s\S]*?)\}\}/g;
const TAG_OPEN = /<([A-Za-z][\w:-]*)>/g;
const TAG_CLOSE = /<\/([A-Za-z][\w:-]*)>/g;
const NEWLINE_BEFORE_CONTENT = /['"][^'"]*\\n[^'"]*['"]\s*\+\s*content(\.strip\(\))?/;

export interface TemplateTags {
  thinkTag: string | undefined;
  toolFormat: "xml" | "k2" | undefined;
  toolTag: string | undefined;
  thinkOpen: { prefix: string; suffix: string };
  thinkClose: { prefix: string; suffix: string };
  includeNewline: boolean;
}

function literals(text: string): string[] {
  return [...text.matchAll(STRING_LITERAL)].map((m) => m[2] ?? "");
}

function counts(text: string, re: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(re)) out.set(m[1] ?? "", (out.get(m[1] ?? "") ?? 0) + 1);
  return out;
}

/** The tag opened and closed most often in `text` (ties: the first seen). */
function mostPairedTag(text: string): string | undefined {
  const closes = counts(text, TAG_CLOSE);
  let best: string | undefined;
  let bestCount = 0;
  for (const [tag, opens] of counts(text, TAG_OPEN)) {
    const n = Math.min(opens, closes.get(tag) ?? 0);
    if (!NOT_THINK.has(tag) && n > bestCount) [best, bestCount] = [tag, n];
  }
  return best;
}

function has(text: string, tag: string): boolean {
  return text.includes(`<${tag}>`) && text.includes(`</${tag}>`);
}

function detectThinkTag(template: string): string | undefined {
  const preferred = THINK_PREFERENCE.find((t) => has(template, t));
  if (preferred) return preferred;
  const rendered = [...template.matchAll(EXPRESSION)].map((m) => m[1] ?? "").filter((e) => e.includes("reasoning_content"));
  const fromReasoning = mostPairedTag(rendered.flatMap(literals).join(" "));
  return fromReasoning ?? mostPairedTag(template);
}

function detectToolFormat(template: string): "xml" | "k2" | undefined {
  if (template.includes(K2_MARKERS.callOpen) && template.includes(K2_MARKERS.callClose)) return "k2";
  if (has(template, "tool_call")) return "xml";
  return undefined;
}

function detectToolTag(template: string): string | undefined {
  return ["tool_call", "function_call", "tool"].find((t) => has(template, t));
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c === "r" ? "\r" : c));
}

/** Every (prefix, suffix) around `tag` in the literals, skipping those with another tag on the far side. */
function around(lits: string[], tag: string, skipPrefixWithTag: boolean): [string, string][] {
  const found: [string, string][] = [];
  for (const lit of lits) {
    for (let at = lit.indexOf(tag); at !== -1; at = lit.indexOf(tag, at + tag.length)) {
      const prefix = lit.slice(0, at);
      const suffix = lit.slice(at + tag.length);
      if (skipPrefixWithTag ? prefix.includes("<") : suffix.includes("<")) continue;
      found.push([unescape(prefix), unescape(suffix)]);
    }
  }
  return found;
}

function mostCommon(pairs: [string, string][]): { prefix: string; suffix: string } {
  const tally = new Map<string, { pair: [string, string]; n: number }>();
  for (const pair of pairs) {
    const key = JSON.stringify(pair);
    const t = tally.get(key) ?? { pair, n: 0 };
    t.n++;
    tally.set(key, t);
  }
  let best: { pair: [string, string]; n: number } | undefined;
  for (const t of tally.values()) if (!best || t.n > best.n) best = t;
  return { prefix: best?.pair[0] ?? "", suffix: best?.pair[1] ?? "" };
}

export function inspectTemplate(template: string, thinkTag?: string): TemplateTags {
  const detected = detectThinkTag(template);
  const tag = thinkTag ?? detected ?? "think";
  const all = literals(template);
  const rendered = [...template.matchAll(EXPRESSION)]
    .map((m) => m[1] ?? "")
    .filter((e) => e.includes("reasoning_content"))
    .flatMap(literals);
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const renderedOpen = around(rendered, open, false);
  const renderedClose = around(rendered, close, true);
  const toolFormat = detectToolFormat(template);
  return {
    thinkTag: detected,
    toolFormat,
    toolTag: toolFormat === "xml" ? detectToolTag(template) : undefined,
    thinkOpen: mostCommon(renderedOpen.length > 0 ? renderedOpen : around(all, open, false)),
    thinkClose: mostCommon(renderedClose.length > 0 ? renderedClose : around(all, close, true)),
    includeNewline: NEWLINE_BEFORE_CONTENT.test(template),
  };
}
