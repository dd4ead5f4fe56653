// What a new user and an operator's probes see first: the start-up line (where the proxy and its
// dashboard are, whether the admin API is on), `GET /admin/status` for the sign-in page, and
// `GET /health` with whether the database answers (SQLite, and PostgreSQL that goes away and back).

import { once } from "node:events";
import { readFileSync } from "node:fs";
import { type Server, type Socket, createServer, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable, POSTGRES_ADMIN_URL } from "../../packages/db/src/testing/postgres.js";
import { ensureDashboardBuilt } from "../lib/dashboard.js";
import { type ProxyProcess, sleep, spawnProxy, startProxy } from "../lib/harness.js";

const CONFIG = "model_list:\n  - model_name: mock\n    model_params: { api_type: mock }\n";

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function spawned(env: Record<string, string>): Promise<ProxyProcess> {
  const proc = await spawnProxy(CONFIG, env);
  cleanup.push(() => proc.kill());
  return proc;
}

/** The process's output once it holds `text` (stderr may arrive a moment after /health answers). */
async function outputWith(proc: ProxyProcess, text: string): Promise<string> {
  for (let i = 0; i < 50 && !proc.output().includes(text); i++) await sleep(100);
  return proc.output();
}

describe("the start-up line", () => {
  it("names the address and the dashboard, and says the admin API is on", { timeout: 120_000 }, async () => {
    await ensureDashboardBuilt();
    const proc = await spawned({ YALLMP_ADMIN_PASSWORD: "first-run-pw" });
    const line = `yaLLMproxy listening on ${proc.url} — dashboard ${proc.url}/dashboard (admin API on)`;
    expect((await outputWith(proc, line)).split("\n")).toContain(line);
    // The JSON line stays, with the same facts (stdout may arrive after stderr).
    const out = await outputWith(proc, '"msg":"yaLLMproxy listening"');
    const json = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === "yaLLMproxy listening");
    expect(json).toMatchObject({ address: proc.url, dashboard: `${proc.url}/dashboard`, admin: "on" });
    expect(await (await fetch(`${proc.url}/admin/status`)).json()).toEqual({ enabled: true });
  });

  it("says how to turn the admin API on when no password is set", { timeout: 120_000 }, async () => {
    await ensureDashboardBuilt();
    const proc = await spawned({ YALLMP_ADMIN_PASSWORD: "" });
    const line = `yaLLMproxy listening on ${proc.url} — dashboard ${proc.url}/dashboard (admin API off: set YALLMP_ADMIN_PASSWORD)`;
    expect((await outputWith(proc, line)).split("\n")).toContain(line);
    // The sign-in page learns it without a credential; nothing else is open.
    const status = await fetch(`${proc.url}/admin/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({ enabled: false });
    expect((await fetch(`${proc.url}/admin/traces`)).status).toBe(404);
  });
});

describe("GET /health", () => {
  it("answers status ok, the number of models, and that the SQLite database answers", async () => {
    const p = await startProxy(CONFIG);
    cleanup.push(p.close);
    const res = await fetch(`${p.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", models: 1, database: "ok" });
  });

  it("answers on the shipped config what the README's endpoint table shows", async () => {
    const root = new URL("../../", import.meta.url);
    const shown = /\| `GET \/health` \| `(\{[^`]*\})`/.exec(readFileSync(new URL("README.md", root), "utf8"))?.[1];
    expect(shown).toBeDefined();
    const p = await startProxy(readFileSync(new URL("configs/config.yaml", root), "utf8"));
    cleanup.push(p.close);
    expect(await (await fetch(`${p.url}/health`)).json()).toEqual(JSON.parse(shown!));
  });
});

/** A loopback TCP hop to PostgreSQL that can be taken away (every connection cut) and brought back on the same port. */
async function postgresHop(): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(POSTGRES_ADMIN_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  };
  const cut = async () => {
    if (!server) return;
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

const pgSkip = await postgresAvailable();
describe.skipIf(pgSkip !== undefined)("GET /health on PostgreSQL", () => {
  it("says unreachable while the database is gone, still status ok, and ok again when it is back", { timeout: 60_000 }, async () => {
    const db = await createTestDatabase();
    cleanup.push(db.drop);
    const hop = await postgresHop();
    cleanup.push(hop.close);
    const url = new URL(db.url);
    url.port = String(hop.port);
    const p = await startProxy(CONFIG, { DATABASE_URL: url.toString() });
    cleanup.push(p.close);
    const health = async () => {
      const res = await fetch(`${p.url}/health`);
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await health()).toEqual({ status: "ok", models: 1, database: "ok" });

    await hop.cut();
    await sleep(1100); // past the reuse of the last answer
    const started = performance.now();
    expect(await health()).toEqual({ status: "ok", models: 1, database: "unreachable" });
    // Never held for long by the database.
    expect(performance.now() - started).toBeLessThan(1500);

    await hop.restore();
    let back: Record<string, unknown> = {};
    for (let i = 0; i < 30 && back.database !== "ok"; i++) {
      await sleep(200);
      back = await health();
    }
    expect(back).toEqual({ status: "ok", models: 1, database: "ok" });
  });
});

describe("what a start loads", () => {
  /** The CommonJS packages the proxy had loaded when it exited (seen by a module given with --import). */
  async function packagesLoaded(env: Record<string, string>): Promise<string[]> {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "yallmp-loaded-"));
    const probe = join(dir, "probe.mjs");
    const out = join(dir, "loaded.json");
    writeFileSync(
      probe,
      `import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
const cache = createRequire(import.meta.url).cache;
process.on("exit", () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(cache))));
`,
    );
    const proc = await spawnProxy(CONFIG, { ...env, NODE_OPTIONS: `--import=${probe}` });
    const res = await fetch(`${proc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    await proc.kill();
    const files = JSON.parse(readFileSync(out, "utf8")) as string[];
    return [...new Set(files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => p !== undefined))];
  }

  it("loads neither the PostgreSQL driver nor the Redis client on the shipped SQLite default", { timeout: 60_000 }, async () => {
    const loaded = await packagesLoaded({});
    // The probe sees the CommonJS packages the start did load.
    expect(loaded).toContain("better-sqlite3");
    expect(loaded).not.toContain("pg");
    expect(loaded).not.toContain("ioredis");
  });

  it("loads the Redis client when REDIS_URL is set", { timeout: 60_000 }, async () => {
    const loaded = await packagesLoaded({ REDIS_URL: "redis://127.0.0.1:6379" });
    expect(loaded).toContain("ioredis");
    expect(loaded).not.toContain("pg");
  });
});
