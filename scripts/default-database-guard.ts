// Fails the test run when a test touched the repository's default database (data/yallmproxy.db,
// the operator's own state): every test keeps its state in a temporary file or database of its own.

import { statSync } from "node:fs";
import { resolve } from "node:path";

const FILES = ["data/yallmproxy.db", "data/yallmproxy.db-wal", "data/yallmproxy.db-journal"].map((f) => resolve(f));

function snapshot(): string {
  return FILES.map((f) => {
    try {
      const s = statSync(f);
      return `${f}:${s.size}:${s.mtimeMs}`;
    } catch {
      return `${f}:absent`;
    }
  }).join("\n");
}

export default function setup(): () => void {
  const before = snapshot();
  return () => {
    if (snapshot() !== before) {
      throw new Error(`A test opened the default database ${FILES[0]}; give it a DATABASE_URL in a temporary directory.`);
    }
  };
}
