// The Redis connection the rate limits count in. Every command has a deadline and nothing queues
// while the connection is down, so a Redis that is gone costs a request at most that deadline.

import { once } from "node:events";
import { Redis } from "ioredis";

export async function openRedis(url: string, timeoutMs: number, onError: (err: Error) => void): Promise<Redis> {
  const redis = new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(1000, timeoutMs),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Commands of requests arriving together go out in one write.
    enableAutoPipelining: true,
    // Reconnects for as long as the process runs, at most every two seconds.
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  redis.on("error", onError);
  // Start-up waits a little for the first connection, so the first requests are counted.
  const ready = once(redis, "ready").then(() => undefined);
  ready.catch(() => undefined);
  await Promise.race([ready, new Promise((r) => setTimeout(r, 2000).unref())]);
  return redis;
}
