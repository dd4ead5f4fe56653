// Follows one file's edits on disk, debounced. The file itself is watched, not its folder: a database
// or log kept beside the config would otherwise wake the proxy for every one of its writes (SQLite's
// write-ahead log: a few per request). A save that replaces the file (an editor's rename, the admin
// API's own write, a Kubernetes ConfigMap swap) ends the watch of the old file; the new one is then
// watched, and a file that is briefly missing is looked for again.

import { type FSWatcher, watch } from "node:fs";

export class FileWatch {
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly onError: (err: unknown) => void,
    private readonly debounceMs = 300,
  ) {}

  /** Starts watching; throws when the file cannot be watched (it does not exist, say). */
  start(): void {
    this.watcher = this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    clearTimeout(this.retry);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private open(): FSWatcher {
    const watcher = watch(this.path, (event) => {
      this.changed();
      if (event === "rename") this.reopen(watcher);
    });
    watcher.on("error", (err) => {
      this.onError(err);
      this.reopen(watcher);
    });
    return watcher;
  }

  /** The watched file was replaced or removed: watch whatever is at the path now. */
  private reopen(old: FSWatcher): void {
    old.close();
    if (this.closed || this.watcher !== old) return;
    this.watcher = undefined;
    this.tryOpen();
  }

  private tryOpen(): void {
    if (this.closed) return;
    try {
      this.watcher = this.open();
      // What was written while nothing watched is read now.
      this.changed();
    } catch {
      this.retry = setTimeout(() => this.tryOpen(), this.debounceMs).unref();
    }
  }

  private changed(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(this.onChange, this.debounceMs);
  }
}
