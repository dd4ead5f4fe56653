// Prints one plain closing line, "Tests: N passed, N failed, N skipped", after vitest's own summary,
// so any CI reading the last line knows how many tests ran.

import type { Reporter, RunnerTestFile, RunnerTask } from "vitest";

function count(tasks: RunnerTask[], acc = { passed: 0, failed: 0, skipped: 0 }) {
  for (const t of tasks) {
    if (t.type === "suite") count(t.tasks, acc);
    else if (t.mode === "skip" || t.mode === "todo" || t.result?.state === "skip") acc.skipped += 1;
    else if (t.result?.state === "pass") acc.passed += 1;
    else acc.failed += 1;
  }
  return acc;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const c = count(files);
    // A file that failed to load counts as a failure even with no tests in it.
    const brokenFiles = files.filter((f) => f.result?.state === "fail" && f.tasks.length === 0).length;
    const failed = c.failed + brokenFiles + errors.length;
    process.stdout.write(`\nTests: ${c.passed} passed, ${failed} failed, ${c.skipped} skipped\n`);
  }
}
