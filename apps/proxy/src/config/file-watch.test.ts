import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileWatch } from "./file-watch.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("FileWatch", () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  function setup() {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-watch-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, "a: 1\n");
    let changes = 0;
    const errors: unknown[] = [];
    const watch = new FileWatch(
      file,
      () => (changes += 1),
      (err) => errors.push(err),
      20,
    );
    watch.start();
    cleanup.push(() => {
      watch.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const changed = async (atLeast: number) => {
      for (let i = 0; i < 100 && changes < atLeast; i++) await sleep(20);
      return changes;
    };
    return { dir, file, changed, count: () => changes, errors };
  }

  it("reports an edit in place, debounced to one call", async () => {
    const w = setup();
    writeFileSync(w.file, "a: 2\n");
    writeFileSync(w.file, "a: 3\n");
    expect(await w.changed(1)).toBe(1);
    await sleep(100);
    expect(w.count()).toBe(1);
  });

  it("keeps following the file after it was replaced by a rename, as the admin API and editors save", async () => {
    const w = setup();
    writeFileSync(`${w.file}.tmp`, "a: 2\n");
    renameSync(`${w.file}.tmp`, w.file);
    expect(await w.changed(1)).toBeGreaterThanOrEqual(1);
    await sleep(100);
    const before = w.count();
    writeFileSync(w.file, "a: 3\n");
    expect(await w.changed(before + 1)).toBe(before + 1);
    expect(w.errors).toEqual([]);
  });

  it("finds the file again when it was removed and written anew", async () => {
    const w = setup();
    unlinkSync(w.file);
    await sleep(100);
    const before = w.count();
    writeFileSync(w.file, "a: 4\n");
    expect(await w.changed(before + 1)).toBeGreaterThan(before);
    await sleep(100);
    const after = w.count();
    writeFileSync(w.file, "a: 5\n");
    expect(await w.changed(after + 1)).toBe(after + 1);
  });

  it("does not report writes to other files in the same folder (a database beside the config)", async () => {
    const w = setup();
    const db = join(w.dir, "state.db-wal");
    for (let i = 0; i < 20; i++) writeFileSync(db, `page ${i}`);
    await sleep(150);
    expect(w.count()).toBe(0);
    writeFileSync(w.file, "a: 6\n");
    expect(await w.changed(1)).toBe(1);
  });
});
