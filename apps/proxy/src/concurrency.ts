// Per-(key, model) concurrency limits with a waiting queue, as yaLLMproxy has them: a request over
// its key's `concurrency_limit` waits (lower `priority` first, then arrival order) until a slot frees,
// its `queue_timeout` runs out (→ 429), or its client leaves.

import type { Cancel } from "./cancel.js";
import type { ConcurrencySettings } from "./config/load-config.js";
import { Errors, ProxyError } from "./errors.js";

interface Waiter {
  priority: number;
  seq: number;
  grant(): void;
}

interface Scope {
  active: number;
  limit: number;
  waiting: Waiter[];
}

export type Release = () => void;

export class ConcurrencyLimiter {
  private readonly scopes = new Map<string, Scope>();
  private seq = 0;

  /**
   * A release function (synchronously when there is a free slot), or a 429 ProxyError when the
   * queue wait runs out.
   */
  acquire(keyId: string | undefined, model: string, settings: ConcurrencySettings, cancel: Cancel): Release | Promise<Release | ProxyError> {
    if (settings.concurrencyLimit <= 0) return noop;
    const id = `${keyId ?? "__unauthenticated__"}::${model}`;
    let scope = this.scopes.get(id);
    if (!scope) {
      scope = { active: 0, limit: settings.concurrencyLimit, waiting: [] };
      this.scopes.set(id, scope);
    }
    scope.limit = settings.concurrencyLimit;
    if (scope.active < scope.limit && scope.waiting.length === 0) {
      scope.active += 1;
      return this.releaser(id, scope);
    }
    const s = scope;
    return new Promise<Release | ProxyError>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        priority: settings.priority,
        seq: this.seq++,
        grant: () => {
          cleanup();
          resolve(this.releaser(id, s));
        },
      };
      const remove = () => {
        const i = s.waiting.indexOf(waiter);
        if (i >= 0) s.waiting.splice(i, 1);
      };
      const onAbort = () => {
        remove();
        cleanup();
        resolve(Errors.clientGone());
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        cancel.offAbort(onAbort);
      };
      const at = s.waiting.findIndex((w) => w.priority > waiter.priority);
      if (at < 0) s.waiting.push(waiter);
      else s.waiting.splice(at, 0, waiter);
      if (settings.queueTimeoutMs !== undefined) {
        timer = setTimeout(() => {
          remove();
          cleanup();
          resolve(Errors.queueTimeout(settings.queueTimeoutMs! / 1000));
        }, settings.queueTimeoutMs);
      }
      cancel.onAbort(onAbort);
    });
  }

  stats(): Record<string, { active: number; queued: number }> {
    const out: Record<string, { active: number; queued: number }> = {};
    for (const [id, s] of this.scopes) out[id] = { active: s.active, queued: s.waiting.length };
    return out;
  }

  private releaser(id: string, scope: Scope): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = scope.waiting.shift();
      if (next) {
        next.grant();
        return;
      }
      scope.active -= 1;
      if (scope.active === 0) this.scopes.delete(id);
    };
  }
}

const noop: Release = () => {};
