// Edits of the config file that keep it as the operator wrote it: only the text of what changes is
// rewritten (a scalar, a list item), so comments, alignment, flow style, quoting and blank lines
// elsewhere stay byte for byte. Every edit is checked against the same change made through the
// `yaml` Document API; should the two ever disagree, the Document's own rendering is used.

import { Document, isMap, isScalar, isSeq, parseDocument, stringify, type Node, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";

type Path = Array<string | number>;

interface SeqItemToken {
  start: Array<{ type: string; offset: number }>;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf("\n", at - 1) + 1;
}

/** The index just past the newline ending the line that holds `at - 1` (the end of a node's text). */
function lineEndAfter(text: string, end: number): number {
  if (end > 0 && text[end - 1] === "\n") return end;
  const nl = text.indexOf("\n", end);
  return nl < 0 ? text.length : nl + 1;
}

function isBlankLine(text: string, start: number): boolean {
  const nl = text.indexOf("\n", start);
  return text.slice(start, nl < 0 ? text.length : nl).trim() === "";
}

function indentBlock(block: string, indent: number): string {
  const pad = " ".repeat(indent);
  return block
    .split("\n")
    .map((line) => (line ? pad + line : line))
    .join("\n");
}

/** A YAML block rendering of a value, at column 0, ending with a newline. */
function renderBlock(value: unknown): string {
  const doc = new Document(value);
  return doc.toString({ lineWidth: 0 });
}

/** A one-line rendering of a scalar string in YAML (plain when safe, else double-quoted). */
function renderScalar(value: string): string {
  const plain = stringify(value, { lineWidth: 0 }).replace(/\n$/, "");
  return plain.includes("\n") ? JSON.stringify(value) : plain;
}

function parse(text: string): Document.Parsed {
  return parseDocument(text, { keepSourceTokens: true });
}

/** Replaces spans of `text` (non-overlapping), last first so earlier offsets stay valid. */
function splice(text: string, edits: Array<{ from: number; to: number; text: string }>): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/** Replaces scalars in place, each by its own span. */
export function replaceScalars(text: string, edits: Array<{ node: Scalar; value: string }>): string {
  return splice(
    text,
    edits.filter((e) => e.node.range).map((e) => ({ from: e.node.range![0], to: e.node.range![1], text: renderScalar(e.value) })),
  );
}

class Unsupported extends Error {}

type Edit = { from: number; to: number; text: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON with mapping keys sorted: the order of a mapping's keys means nothing in YAML. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function sameValue(node: unknown, value: unknown): boolean {
  const js = node && typeof node === "object" && "toJSON" in node ? (node as { toJSON(): unknown }).toJSON() : node;
  return canonical(js) === canonical(value);
}

/**
 * The edits that turn a block mapping into `value`, pair by pair: unchanged pairs keep their text
 * (and comments), a changed scalar keeps its line's comment, nested block mappings recurse.
 * False when the mapping has a shape this cannot edit in place.
 */
function diffMap(text: string, map: YAMLMap, value: Record<string, unknown>, edits: Edit[]): boolean {
  const seen = new Set<string>();
  let indent = -1;
  let end = -1;
  for (const pair of map.items) {
    if (!isScalar(pair.key) || !pair.key.range) return false;
    const key = String(pair.key.value);
    seen.add(key);
    const keyStart = pair.key.range[0];
    const lineFrom = lineStart(text, keyStart);
    if (indent < 0) indent = keyStart - lineFrom;
    const prefix = text.slice(lineFrom, keyStart);
    // The first key of a list item shares the `-` line: it can change in place, not go or be rewritten.
    const onDashLine = /^\s*-\s+$/.test(prefix);
    if (keyStart - lineFrom !== indent || (prefix.trim() !== "" && !onDashLine)) return false;
    const node = pair.value as Node | null;
    const valueEnd = node?.range ? node.range[1] : pair.key.range[1];
    const lineTo = lineEndAfter(text, valueEnd);
    end = Math.max(end, lineTo);
    if (!(key in value)) {
      if (onDashLine) return false;
      edits.push({ from: lineFrom, to: lineTo, text: "" });
      continue;
    }
    const next = value[key];
    if (sameValue(node, next)) continue;
    const blockScalar = isScalar(node) && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED");
    if (
      isScalar(node) &&
      node.range &&
      !blockScalar &&
      (typeof next === "string" || typeof next === "number" || typeof next === "boolean") &&
      typeof node.value !== "object"
    ) {
      edits.push({ from: node.range[0], to: node.range[1], text: typeof next === "string" ? renderScalar(next) : String(next) });
      continue;
    }
    if (isMap(node) && !(node as YAMLMap).flow && isPlainObject(next)) {
      if (!diffMap(text, node as YAMLMap, next, edits)) return false;
      continue;
    }
    if (onDashLine) return false;
    edits.push({ from: lineFrom, to: lineTo, text: indentBlock(renderBlock({ [key]: next }), indent) });
  }
  if (indent < 0 || end < 0) return false;
  const added = Object.entries(value).filter(([k]) => !seen.has(k));
  if (added.length > 0) edits.push({ from: end, to: end, text: indentBlock(renderBlock(Object.fromEntries(added)), indent) });
  return true;
}

/** The block sequence at `path`, with the span of each item (its `-` line through its last line). */
function blockItems(text: string, doc: Document.Parsed, path: Path): { seq: YAMLSeq; spans: Array<{ from: number; to: number; indent: number }> } {
  const seq = doc.getIn(path, true);
  if (!isSeq(seq)) throw new Unsupported("not a list");
  const token = (seq as YAMLSeq & { srcToken?: { type: string; items: SeqItemToken[] } }).srcToken;
  if (!token || token.type !== "block-seq") throw new Unsupported("not a block list");
  // Comments after the last item come as one more item with no `-`; they are not an item.
  const items = token.items.filter((item) => item.start.some((t) => t.type === "seq-item-ind"));
  if (items.length !== seq.items.length) throw new Unsupported("list items and their tokens differ");
  const spans = items.map((item, i) => {
    const ind = item.start.find((t) => t.type === "seq-item-ind");
    const node = seq.items[i] as Node | null;
    if (!ind || !node?.range) throw new Unsupported("list item without a span");
    const from = lineStart(text, ind.offset);
    return { from, to: lineEndAfter(text, node.range[1]), indent: ind.offset - from };
  });
  return { seq, spans };
}

/** Comment lines right above `from` at the same indentation (they describe the item below them). */
function leadingComments(text: string, from: number, indent: number): number {
  let at = from;
  while (at > 0) {
    const prev = lineStart(text, at - 1);
    const line = text.slice(prev, at - 1);
    if (!line.trim().startsWith("#") || line.length - line.trimStart().length !== indent) break;
    at = prev;
  }
  return at;
}

export class YamlEditor {
  constructor(public text: string) {}

  /** Adds an item at the end of the list at `path`, creating the list (and its parents) if needed. */
  append(path: Path, value: unknown): void {
    this.edit(
      (text, doc) => {
        const node = doc.getIn(path, true);
        if (node === undefined || (isScalar(node) && (node.value === null || node.value === undefined))) return this.addMissing(text, doc, path, [value]);
        if (isSeq(node) && (node as YAMLSeq).flow) return this.rewriteFlow(text, node as YAMLSeq, (seq) => seq.add(doc.createNode(value)));
        const { spans } = blockItems(text, doc, path);
        const last = spans[spans.length - 1];
        if (!last) throw new Unsupported("empty block list");
        const above = leadingComments(text, last.from, last.indent);
        const gap = spans.length > 1 && above > 0 && isBlankLine(text, lineStart(text, above - 1)) ? "\n" : "";
        const before = last.to === text.length && !text.endsWith("\n") ? "\n" : "";
        return splice(text, [{ from: last.to, to: last.to, text: before + gap + indentBlock(renderBlock([value]), last.indent) }]);
      },
      (doc) => {
        const node = doc.getIn(path, true);
        if (isSeq(node)) node.add(doc.createNode(value));
        else doc.setIn(path, doc.createNode([value]));
      },
    );
  }

  /** Adds an item right after the item at `index` of the list at `path` (beside its kin, not at the end). */
  insertAfter(path: Path, index: number, value: unknown): void {
    this.edit(
      (text, doc) => {
        const node = doc.getIn(path, true);
        if (isSeq(node) && (node as YAMLSeq).flow)
          return this.rewriteFlow(text, node as YAMLSeq, (seq) => seq.items.splice(index + 1, 0, doc.createNode(value)));
        const { spans } = blockItems(text, doc, path);
        const span = spans[index];
        if (!span) throw new Unsupported("no such item");
        const before = span.to === text.length && !text.endsWith("\n") ? "\n" : "";
        return splice(text, [{ from: span.to, to: span.to, text: before + indentBlock(renderBlock([value]), span.indent) }]);
      },
      (doc) => (doc.getIn(path, true) as YAMLSeq).items.splice(index + 1, 0, doc.createNode(value)),
    );
  }

  /** Replaces the item at `index` of the list at `path`. */
  replace(path: Path, index: number, value: unknown): void {
    this.edit(
      (text, doc) => {
        const node = doc.getIn(path, true);
        if (isSeq(node) && (node as YAMLSeq).flow) return this.rewriteFlow(text, node as YAMLSeq, (seq) => seq.set(index, doc.createNode(value)));
        const { seq, spans } = blockItems(text, doc, path);
        const span = spans[index];
        if (!span) throw new Unsupported("no such item");
        const item = seq.items[index];
        // A block mapping changes only where the new entry differs (its comments elsewhere stay).
        if (isMap(item) && !(item as YAMLMap).flow && isPlainObject(value)) {
          const edits: Edit[] = [];
          if (diffMap(text, item as YAMLMap, value, edits)) {
            const next = splice(text, edits);
            const check = parseDocument(next);
            const want = parseDocument(text);
            (want.getIn(path, true) as YAMLSeq).set(index, want.createNode(value));
            if (check.errors.length === 0 && canonical(check.toJS()) === canonical(want.toJS())) return next;
          }
        }
        return splice(text, [{ from: span.from, to: span.to, text: indentBlock(renderBlock([value]), span.indent) }]);
      },
      (doc) => (doc.getIn(path, true) as YAMLSeq).set(index, doc.createNode(value)),
    );
  }

  /** Sets the scalar at `path`: rewritten in place, or added to its (block) mapping when absent. */
  set(path: Path, value: string | number | boolean): void {
    this.edit(
      (text, doc) => {
        const node = doc.getIn(path, true);
        if (node === undefined) return this.addMissing(text, doc, path, value);
        if (!isScalar(node) || !node.range) throw new Unsupported("not a scalar");
        const rendered = typeof value === "string" ? renderScalar(value) : String(value);
        return splice(text, [{ from: node.range[0], to: node.range[1], text: rendered }]);
      },
      (doc) => doc.setIn(path, value),
    );
  }

  /** Removes the item at `index` of the list at `path`, with the comment lines right above it. */
  remove(path: Path, index: number): void {
    this.edit(
      (text, doc) => {
        const node = doc.getIn(path, true);
        if (isSeq(node) && (node as YAMLSeq).flow) return this.rewriteFlow(text, node as YAMLSeq, (seq) => seq.delete(index));
        const { seq, spans } = blockItems(text, doc, path);
        const span = spans[index];
        if (!span) throw new Unsupported("no such item");
        if (seq.items.length === 1) return this.emptyList(text, doc, path, span);
        const from = leadingComments(text, span.from, span.indent);
        let to = span.to;
        // Keep one blank line where the item sat between two.
        const blankAbove = from > 0 && isBlankLine(text, lineStart(text, from - 1));
        while (to < text.length && isBlankLine(text, to) && (blankAbove || index === 0)) to = lineEndAfter(text, to + 1);
        return splice(text, [{ from, to, text: "" }]);
      },
      (doc) => (doc.getIn(path, true) as YAMLSeq).delete(index),
    );
  }

  private edit(byText: (text: string, doc: Document.Parsed) => string, byDocument: (doc: Document.Parsed) => void): void {
    const want = parse(this.text);
    if (want.errors.length) throw new Error(`the config file does not parse: ${want.errors[0]?.message ?? "YAML error"}`);
    byDocument(want);
    const expected = canonical(want.toJS());
    try {
      const next = byText(this.text, parse(this.text));
      const check = parseDocument(next);
      if (check.errors.length === 0 && canonical(check.toJS()) === expected) {
        this.text = next;
        return;
      }
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
    }
    this.text = want.toString();
  }

  /** A flow list rewritten as the Document renders it (one line), the rest of the file untouched. */
  private rewriteFlow(text: string, seq: YAMLSeq, change: (seq: YAMLSeq) => void): string {
    if (!seq.range) throw new Unsupported("flow list without a span");
    const [from, to] = seq.range;
    change(seq);
    const copy = new Document();
    copy.contents = seq;
    const rendered = copy.toString({ lineWidth: 0 }).replace(/\n$/, "");
    if (rendered.includes("\n")) throw new Unsupported("multi-line flow list");
    return splice(text, [{ from, to, text: rendered }]);
  }

  /** The last item removed: the list becomes `[]` on its key's line. */
  private emptyList(text: string, doc: Document.Parsed, path: Path, span: { from: number; to: number }): string {
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (!isMap(parent)) throw new Unsupported("list not under a mapping");
    const pair = (parent as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
    const keyEnd = pair && isScalar(pair.key) ? pair.key.range?.[1] : undefined;
    if (keyEnd === undefined) throw new Unsupported("list key without a span");
    const colon = text.indexOf(":", keyEnd);
    if (colon < 0 || colon > span.from) throw new Unsupported("no colon after the key");
    return splice(text, [
      { from: span.from, to: span.to, text: "" },
      { from: colon + 1, to: colon + 1, text: " []" },
    ]);
  }

  /** Creates `path` (a list holding `value`) under its deepest existing mapping. */
  private addMissing(text: string, doc: Document.Parsed, path: Path, value: unknown): string {
    let depth = path.length - 1;
    while (depth > 0 && !isMap(doc.getIn(path.slice(0, depth), true))) depth -= 1;
    const holder = depth === 0 ? doc.contents : (doc.getIn(path.slice(0, depth), true) as YAMLMap);
    let rest: unknown = value;
    for (let i = path.length - 1; i >= depth; i--) rest = { [String(path[i])]: rest };
    if (depth === 0 && (holder === null || (isScalar(holder) && holder.value === null))) {
      return `${text}${text && !text.endsWith("\n") ? "\n" : ""}${renderBlock(rest)}`;
    }
    if (!isMap(holder) || (holder as YAMLMap).flow || !holder.range) throw new Unsupported("parent is not a block mapping");
    const map = holder as YAMLMap;
    // A key present with no value (`keys:`) is replaced by the whole new entry.
    const existing = map.items.find((p) => isScalar(p.key) && p.key.value === path[depth]);
    const firstKey = map.items[0]?.key as Node | undefined;
    if (!firstKey?.range) throw new Unsupported("mapping without keys");
    const indent = firstKey.range[0] - lineStart(text, firstKey.range[0]);
    const block = indentBlock(renderBlock(rest), indent);
    if (existing) {
      const key = existing.key as Node;
      if (!key.range) throw new Unsupported("key without a span");
      const from = lineStart(text, key.range[0]);
      const value = existing.value as Node | null;
      const to = lineEndAfter(text, value?.range ? value.range[1] : key.range[1]);
      return splice(text, [{ from, to, text: block }]);
    }
    const end = lineEndAfter(text, map.range![1]);
    let before = end === text.length && !text.endsWith("\n") ? "\n" : "";
    // A new top-level section gets a blank line before it, as sections usually have.
    if (depth === 0 && end > 0 && !isBlankLine(text, lineStart(text, end - 1))) before += "\n";
    return splice(text, [{ from: end, to: end, text: before + block }]);
  }
}
