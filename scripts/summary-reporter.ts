// Prints one plain closing line, "Tests: N passed, N failed, N skipped", after vitest's own summary,
// so any CI reading the last line knows how many tests ran. Above it, one "Failed:" line per failed
// test and one "Flaky:" line per test that passed only on a retry, so a CI log cut to its tail
// still names them.

import type { Reporter, RunnerTestFile, RunnerTask } from "vitest";

type Tally = { passed: number; failed: number; skipped: number; lines: string[] };

function taskName(t: RunnerTask): string {
  const parts: string[] = [];
  // The file's own task (the one with a filepath) is named at the head of the line instead.
  for (let s: RunnerTask | undefined = t; s && !("filepath" in s); s = s.suite) parts.unshift(s.name);
  return `${t.file?.name ?? "?"} > ${parts.join(" > ")}`;
}

function firstLine(t: RunnerTask): string {
  const message = t.result?.errors?.[0]?.message ?? "";
  return message.split("\n")[0]!.slice(0, 200);
}

function count(tasks: RunnerTask[], acc: Tally) {
  for (const t of tasks) {
    if (t.type === "suite") count(t.tasks, acc);
    else if (t.mode === "skip" || t.mode === "todo" || t.result?.state === "skip") acc.skipped += 1;
    else if (t.result?.state === "pass") {
      acc.passed += 1;
      const retries = t.result.retryCount ?? 0;
      if (retries > 0) acc.lines.push(`Flaky: ${taskName(t)} (passed after ${retries} retr${retries === 1 ? "y" : "ies"})`);
    } else {
      acc.failed += 1;
      acc.lines.push(`Failed: ${taskName(t)}: ${firstLine(t)}`);
    }
  }
  return acc;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const c = count(files, { passed: 0, failed: 0, skipped: 0, lines: [] });
    // A file that failed to load counts as a failure even with no tests in it.
    const broken = files.filter((f) => f.result?.state === "fail" && f.tasks.length === 0);
    for (const f of broken) c.lines.push(`Failed: ${f.name}: ${f.result?.errors?.[0]?.message?.split("\n")[0] ?? "did not load"}`);
    for (const e of errors) c.lines.push(`Failed: unhandled error: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
    const failed = c.failed + broken.length + errors.length;
    const head = c.lines.length > 0 ? `\n${c.lines.join("\n")}` : "";
    process.stdout.write(`${head}\nTests: ${c.passed} passed, ${failed} failed, ${c.skipped} skipped\n`);
  }
}
