// The models' `extends` tree as the config file writes it: parents, children in file order, the
// chain of ancestors and every descendant (what yaLLMproxy's tree, ancestry and dependents calls
// answer, and what a cascading delete removes).

import { isMap, isSeq, parseDocument } from "yaml";
import { deepMerge } from "./model-entries.js";

/** Deeper than this is a loop or a mistake; the loader refuses cycles, this only bounds the walk. */
const MAX_DEPTH = 64;

export interface TreeEntry {
  name: string;
  parent: string | null;
  /** The entry as written, without `extends`. */
  config: Record<string, unknown>;
}

export class ExtendsTree {
  private readonly byName = new Map<string, TreeEntry>();
  private readonly children = new Map<string, string[]>();

  constructor(entries: TreeEntry[]) {
    for (const e of entries) if (!this.byName.has(e.name)) this.byName.set(e.name, e);
    for (const e of this.byName.values()) {
      if (e.parent === null || !this.byName.has(e.parent)) continue;
      const list = this.children.get(e.parent) ?? [];
      list.push(e.name);
      this.children.set(e.parent, list);
    }
  }

  /** From a config text's `model_list` (entries of one name: the first). */
  static ofText(text: string): ExtendsTree {
    const seq = parseDocument(text).get("model_list", true);
    const entries: TreeEntry[] = [];
    if (isSeq(seq)) {
      for (const item of seq.items) {
        if (!isMap(item)) continue;
        const js = item.toJSON() as Record<string, unknown>;
        if (typeof js.model_name !== "string") continue;
        const { extends: parent, ...config } = js;
        entries.push({ name: js.model_name, parent: typeof parent === "string" && parent.trim() ? parent.trim() : null, config });
      }
    }
    return new ExtendsTree(entries);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): TreeEntry | undefined {
    return this.byName.get(name);
  }

  /** Models with no parent, or whose parent is not configured. */
  roots(): string[] {
    return this.names.filter((n) => {
      const parent = this.byName.get(n)!.parent;
      return parent === null || !this.byName.has(parent);
    });
  }

  childrenOf(name: string): string[] {
    return [...(this.children.get(name) ?? [])];
  }

  /** Every model below `name`, depth first in file order. */
  descendantsOf(name: string): string[] {
    const out: string[] = [];
    const seen = new Set([name]);
    const stack = this.childrenOf(name).reverse();
    while (stack.length) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      out.push(next);
      stack.push(...this.childrenOf(next).reverse());
    }
    return out;
  }

  /** `[name, parent, grandparent, …]`; a parent that is not configured ends it (listed). Empty if unknown. */
  chainOf(name: string): string[] {
    if (!this.byName.has(name)) return [];
    const chain = [name];
    let parent = this.byName.get(name)!.parent;
    while (parent !== null && !chain.includes(parent) && chain.length < MAX_DEPTH) {
      chain.push(parent);
      parent = this.byName.get(parent)?.parent ?? null;
    }
    return chain;
  }

  /** The entry with what it inherits merged in (nested mappings merged, the child's values winning), as yaLLMproxy lists it. */
  resolved(name: string): Record<string, unknown> | undefined {
    const chain = this.chainOf(name).filter((n) => this.byName.has(n));
    if (chain.length === 0) return undefined;
    let merged: Record<string, unknown> = {};
    for (const n of chain.reverse()) merged = deepMerge(merged, this.byName.get(n)!.config);
    return { ...merged, model_name: name };
  }
}
