// Test helper: a deterministic clock and id source.

import type { TranslateContext } from "../../ir.js";

export function createTestContext(now = 1_700_000_000): TranslateContext & { ids: string[] } {
  let n = 0;
  const ids: string[] = [];
  return {
    ids,
    now: () => now,
    newId: (prefix: string) => {
      n++;
      const id = `${prefix}test${String(n).padStart(3, "0")}`;
      ids.push(id);
      return id;
    },
  };
}
