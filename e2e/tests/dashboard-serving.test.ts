// How the proxy serves the built dashboard under /dashboard/: the app, its hashed assets, client
// routes on refresh, and a clear 503 when it was never built.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardRoutes } from "../../apps/proxy/src/routes/dashboard.js";
import { ensureDashboardBuilt } from "../lib/dashboard.js";
import { type RunningProxy, startProxy } from "../lib/harness.js";

let p: RunningProxy;

beforeAll(async () => {
  await ensureDashboardBuilt();
  p = await startProxy("model_list:\n  - model_name: mock\n    model_params: { api_type: mock }\n", { YALLMP_ADMIN_PASSWORD: "serving-pw" });
}, 120_000);

afterAll(async () => {
  await p?.close();
});

describe("serving the dashboard", () => {
  it("redirects /dashboard to /dashboard/ and serves the app there, always revalidated", async () => {
    const bare = await fetch(`${p.url}/dashboard`, { redirect: "manual" });
    expect(bare.status).toBe(302);
    expect(bare.headers.get("location")).toBe("/dashboard/");
    const index = await fetch(`${p.url}/dashboard/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toContain("text/html");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(await index.text()).toContain('<div id="root">');
  });

  it("answers a client route with the app (a refresh on /dashboard/config/versions works)", async () => {
    for (const path of ["/dashboard/config/versions", "/dashboard/traces/abc-123", "/dashboard/login?next=%2Flive"]) {
      const res = await fetch(`${p.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain('<div id="root">');
    }
  });

  it("serves hashed assets for a year, and a missing asset is a plain 404", async () => {
    const html = await (await fetch(`${p.url}/dashboard/`)).text();
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${p.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("cache-control")).toContain("immutable");
    const missing = await fetch(`${p.url}/dashboard/assets/missing-0000.js`);
    expect(missing.status).toBe(404);
  });

  it("never serves a file outside the build, however the path climbs", async () => {
    const { request } = await import("node:http");
    const url = new URL(p.url);
    // One to four levels up from the build reach apps/dashboard/package.json and the repository's own.
    const climbs = [1, 2, 3, 4].flatMap((n) => ["../".repeat(n), "%2e%2e/".repeat(n), "..%2f".repeat(n), "assets/" + "%2e%2e%2f".repeat(n + 1)]);
    for (const path of climbs.map((c) => `/dashboard/${c}package.json`)) {
      // Sent as written: fetch would normalise the dots away.
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(body, path).not.toContain('"private": true');
      expect([200, 400, 403, 404], path).toContain(status);
    }
  });

  it("leaves the API's own 404 for paths outside /dashboard", async () => {
    const res = await fetch(`${p.url}/dashboardish`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unknown_url");
  });

  it("answers 503 with what to run when the dashboard was never built", async () => {
    const app = Fastify();
    await app.register(dashboardRoutes, { root: mkdtempSync(join(tmpdir(), "yallmp-no-dashboard-")) });
    for (const url of ["/dashboard", "/dashboard/", "/dashboard/live"]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(503);
      expect(res.body).toContain("npm run build");
    }
    await app.close();
  });
});
