// Translation warnings grouped by code for the trace page: the biggest loss first, each group's
// warnings in the order the translation met them.

import type { TraceWarning } from "../../api/types";

export interface WarningGroup {
  code: string;
  warnings: TraceWarning[];
}

export function groupWarnings(list: readonly TraceWarning[]): WarningGroup[] {
  const groups = new Map<string, TraceWarning[]>();
  for (const w of list) {
    const group = groups.get(w.code);
    if (group) group.push(w);
    else groups.set(w.code, [w]);
  }
  return [...groups].map(([code, warnings]) => ({ code, warnings })).sort((a, b) => b.warnings.length - a.warnings.length);
}
