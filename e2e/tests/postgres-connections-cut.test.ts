// PostgreSQL cutting the proxy's connections (a restart, a failover, pg_terminate_backend) while
// traces are being written: the proxy process stays up, keeps answering, and traces are written
// again afterwards (those caught in the cut are dropped and counted, never waited for).

import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import { type ProxyProcess, sleep, spawnProxy } from "../lib/harness.js";

const ADMIN = "admin-pw-cut";
const admin = { authorization: `Bearer ${ADMIN}` };
const pgSkip = await postgresAvailable();

describe.skipIf(pgSkip !== undefined)("PostgreSQL connections cut under the trace writer", () => {
  let proxy: ProxyProcess | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await proxy?.kill();
    await drop?.();
  });

  const chat = (reqId: string) =>
    fetch(`${proxy!.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": reqId },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });

  it("the proxy stays up and its traces resume after every backend of its database is terminated", async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    proxy = await spawnProxy(
      `
model_list:
  - model_name: m
    model_params: { api_type: mock }
proxy_settings:
  traces: { capture: metadata, flush_interval_ms: 20, batch_size: 5 }
`,
      { DATABASE_URL: db.url, YALLMP_ADMIN_PASSWORD: ADMIN },
    );
    const traceStatus = async (id: string) => (await fetch(`${proxy!.url}/admin/traces/${id}`, { headers: admin })).status;

    for (let i = 0; i < 10; i++) expect((await chat(`before-${i}`)).status).toBe(200);
    expect(await traceStatus("before-9")).toBe(200);

    // Requests keep coming (and their traces keep being flushed) while the connections are cut.
    const killer = new pg.Client({ connectionString: db.url });
    killer.on("error", () => undefined);
    await killer.connect();
    let sending = true;
    const statuses: Array<number | string> = [];
    const during = (async () => {
      let n = 0;
      while (sending) {
        statuses.push(
          await chat(`during-${n++}`).then(
            (r) => r.status,
            (err: Error) => err.message,
          ),
        );
        await sleep(5);
      }
    })();
    for (let round = 0; round < 3; round++) {
      await sleep(100);
      const cut = await killer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
      // Later rounds may find nothing yet: the pools connect again only when they next need to.
      if (round === 0) expect(cut.rowCount, `nothing to cut: ${proxy.output().slice(-1500)}`).toBeGreaterThan(0);
    }
    await sleep(200);
    sending = false;
    await during;
    await killer.end();
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    expect(proxy.child.exitCode).toBeNull();
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await chat(`after-${i}`)).status).toBe(200);
    // The writer's next batch goes through a new connection.
    let written = 0;
    for (let attempt = 0; attempt < 50 && written !== 200; attempt++) {
      written = await traceStatus("after-4");
      if (written !== 200) await sleep(100);
    }
    expect(written, `traces did not resume: ${proxy.output().slice(-1500)}`).toBe(200);
    expect(proxy.child.exitCode).toBeNull();
  });
});
