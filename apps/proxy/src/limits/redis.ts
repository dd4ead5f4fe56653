// The Redis connections the rate limits count in. Every command has a deadline and nothing queues
// while a connection is down, so a Redis that is gone costs a request at most that deadline.

import { once } from "node:events";
import { Redis } from "ioredis";

/**
 * Two connections: `direct` writes each command at once, `batched` gathers the commands of requests
 * arriving together into one write (ioredis's auto-pipelining, flushed on the next turn of the event
 * loop). A lone request then pays one round trip and no wait; a crowd shares writes.
 */
export interface LimitRedis {
  direct: Redis;
  batched: Redis;
}

export async function openRedis(url: string, timeoutMs: number, onError: (err: Error) => void): Promise<LimitRedis> {
  const open = (enableAutoPipelining: boolean) => {
    const redis = new Redis(url, {
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(1000, timeoutMs),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining,
      // Reconnects for as long as the process runs, at most every two seconds.
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    });
    redis.on("error", onError);
    return redis;
  };
  const pair = { direct: open(false), batched: open(true) };
  // Start-up waits a little for the first connections, so the first requests are counted.
  const ready = Promise.all([once(pair.direct, "ready"), once(pair.batched, "ready")]).then(() => undefined);
  ready.catch(() => undefined);
  await Promise.race([ready, new Promise((r) => setTimeout(r, 2000).unref())]);
  return pair;
}
