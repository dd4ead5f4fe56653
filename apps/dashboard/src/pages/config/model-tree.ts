// Orders models as their `extends` tree: each parent followed by its children, depth-first.

import type { ModelInfo } from "../../api/types";

export interface ModelRow {
  model: ModelInfo;
  depth: number;
  /** Whether this is the last child of its parent (for the tree guide). */
  last: boolean;
}

export function modelTree(models: ModelInfo[]): ModelRow[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const children = new Map<string, ModelInfo[]>();
  const roots: ModelInfo[] = [];
  for (const m of models) {
    if (m.extends && byName.has(m.extends) && m.extends !== m.name) {
      const list = children.get(m.extends) ?? [];
      list.push(m);
      children.set(m.extends, list);
    } else roots.push(m);
  }
  const rows: ModelRow[] = [];
  const seen = new Set<string>();
  const walk = (m: ModelInfo, depth: number, last: boolean) => {
    if (seen.has(m.name)) return;
    seen.add(m.name);
    rows.push({ model: m, depth, last });
    const kids = children.get(m.name) ?? [];
    kids.forEach((k, i) => walk(k, depth + 1, i === kids.length - 1));
  };
  roots.forEach((r, i) => walk(r, 0, i === roots.length - 1));
  // A cycle leaves models unreached; show them at the top level rather than lose them.
  for (const m of models) if (!seen.has(m.name)) walk(m, 0, true);
  return rows;
}
