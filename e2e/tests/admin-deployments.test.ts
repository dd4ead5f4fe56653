// A model group's deployments through the admin API, on loopback upstreams: `GET /admin/deployments`
// shows each one's health, load, latency and share (a failing one cooling down); a deployment is
// added to a group and removed from it, each call a config version that rewrites only its entry.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeploymentList } from "@yallmproxy/api";
import { afterEach, describe, expect, it } from "vitest";
import { answerOf } from "../lib/faults.js";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";

const ADMIN = "deployments-admin-pw";
const auth = { authorization: `Bearer ${ADMIN}` };

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function upstream(ok: boolean): Promise<Upstream> {
  const u = await startUpstream((_req, res) => (ok ? sendJson(res, 200, answerOf("chat").json) : sendJson(res, 503, { error: { message: "down" } })));
  cleanup.push(u.close);
  return u;
}

async function proxyOn(yaml: string): Promise<{ p: RunningProxy; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), "yallmp-deployments-")), "config.yaml");
  writeFileSync(path, yaml);
  const p = await startProxy(yaml, { YALLMP_ADMIN_PASSWORD: ADMIN }, { configPath: path });
  cleanup.push(p.close);
  return { p, path };
}

const send = (p: RunningProxy, method: string, path: string, body?: unknown) =>
  fetch(`${p.url}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? null : JSON.stringify(body),
  });

async function deployments(p: RunningProxy): Promise<DeploymentList> {
  const res = await send(p, "GET", "/admin/deployments");
  expect(res.status).toBe(200);
  return (await res.json()) as DeploymentList;
}

const chat = (p: RunningProxy, model = "m") =>
  fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });

describe("GET /admin/deployments", () => {
  it("shows the failing deployment cooling down and the healthy one with all the traffic", async () => {
    const good = await upstream(true);
    const bad = await upstream(false);
    const { p } = await proxyOn(`model_list:
  - model_name: m
    model_info: { id: good }
    model_params: { api_base: "${good.url}", api_key: k, model: up-good }
  - model_name: m
    model_info: { id: bad }
    model_params: { api_base: "${bad.url}", api_key: k, model: up-bad, weight: 1000 }
  - model_name: solo
    model_params: { api_type: mock }
router_settings: { allowed_fails: 0, cooldown_seconds: 60, num_retries: 0 }
`);
    const before = await deployments(p);
    expect(before.data.find((g) => g.model === "m")!.deployments.map((d) => [d.id, d.state, d.share, d.latencyMs])).toEqual([
      ["good", "healthy", null, null],
      ["bad", "healthy", null, null],
    ]);
    // The failing deployment is tried once (the request then moves to the good one) and cools down.
    for (let i = 0; i < 8; i++) expect((await chat(p)).status).toBe(200);
    expect(bad.requests.length).toBe(1);
    const after = await deployments(p);
    const [g, b] = after.data.find((x) => x.model === "m")!.deployments;
    expect(g).toMatchObject({ id: "good", host: new URL(good.url).host, state: "healthy", cooldownUntil: null, inFlight: 0, requests: 8, failures: 0 });
    expect(g!.latencyMs).toBeGreaterThan(0);
    expect(g!.share).toBeCloseTo(8 / 9, 2);
    expect(b).toMatchObject({ id: "bad", state: "cooling", coolReason: "failures", requests: 1, failures: 1, cooldowns: 1 });
    const until = Date.parse(b!.cooldownUntil!);
    expect(until - Date.parse(after.serverTime)).toBeGreaterThan(50_000);
    expect(after.data.find((x) => x.model === "solo")!.deployments[0]).toMatchObject({ id: "solo", apiType: "mock", state: "healthy" });
    // No credential, no view.
    expect((await fetch(`${p.url}/admin/deployments`)).status).toBe(401);
  });

  it("says half_open once the cooldown is over and the probe has not yet answered", async () => {
    const good = await upstream(true);
    const bad = await upstream(false);
    const { p } = await proxyOn(`model_list:
  - { model_name: m, model_info: { id: a }, model_params: { api_base: "${good.url}", api_key: k } }
  - { model_name: m, model_info: { id: b }, model_params: { api_base: "${bad.url}", api_key: k, weight: 1000 } }
router_settings: { allowed_fails: 0, cooldown_seconds: 1, num_retries: 0 }
`);
    expect((await chat(p)).status).toBe(200);
    expect((await deployments(p)).data[0]!.deployments[1]).toMatchObject({ id: "b", state: "cooling" });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await deployments(p)).data[0]!.deployments[1]).toMatchObject({ id: "b", state: "half_open", cooldownUntil: null });
  });
});

describe("adding and removing a deployment", () => {
  const CONFIG = (up: string) => `# two groups, hand-formatted
model_list:
  - model_name: m            # the first deployment
    model_info: { id: first }
    model_params: { api_base: "${up}", api_key: k, model: up-m }

  - model_name: other
    model_params: { api_type: mock }   # keep this comment
router_settings: { num_retries: 0 }
`;

  it("POST adds a model_list entry beside its group, DELETE removes it; each is a version", async () => {
    const a = await upstream(true);
    const b = await upstream(true);
    const { p, path } = await proxyOn(CONFIG(a.url));
    const original = readFileSync(path, "utf8");

    const added = await send(p, "POST", "/admin/models/m/deployments", {
      extends: "m",
      model_info: { id: "second" },
      model_params: { api_base: b.url, api_key: "sk-second" },
    });
    expect(added.status, await added.clone().text()).toBe(200);
    expect(await added.json()).toMatchObject({ version: expect.any(Number), model: "m", deployment: "second" });
    const file = readFileSync(path, "utf8");
    // Only the new entry was written, right after its group's entry; the secret went to configs/.env.
    expect(file.startsWith(original.slice(0, original.indexOf("\n  - model_name: other")))).toBe(true);
    expect(file).toContain("# keep this comment");
    expect(file.indexOf("id: second")).toBeLessThan(file.indexOf("model_name: other"));
    expect(file).not.toContain("sk-second");
    expect(readFileSync(join(path, "../.env"), "utf8")).toContain("sk-second");
    const view = await deployments(p);
    expect(view.data.find((g) => g.model === "m")!.deployments.map((d) => [d.id, d.upstreamModel])).toEqual([
      ["first", "up-m"],
      ["second", "up-m"],
    ]);
    for (let i = 0; i < 20; i++) expect((await chat(p)).status).toBe(200);
    expect(a.requests.length).toBeGreaterThan(0);
    expect(b.requests.length).toBeGreaterThan(0);
    expect(b.requests[0]!.headers.authorization).toBe("Bearer sk-second");

    const versions = (await (await send(p, "GET", "/admin/config/versions")).json()) as { data: Array<{ author: string }> };
    expect(versions.data[0]!.author).toBe("admin (add deployment)");

    const removed = await send(p, "DELETE", "/admin/models/m/deployments/first");
    expect(removed.status, await removed.clone().text()).toBe(200);
    expect(await removed.json()).toMatchObject({ deleted: "first", deployment: "first" });
    expect((await deployments(p)).data.find((g) => g.model === "m")!.deployments.map((d) => d.id)).toEqual(["second"]);
    const served = a.requests.length;
    for (let i = 0; i < 5; i++) expect((await chat(p)).status).toBe(200);
    expect(a.requests.length).toBe(served);
    expect(readFileSync(path, "utf8")).toContain("# keep this comment");
  });

  it("refuses what would be a mistake, in the admin API's error shape", async () => {
    const a = await upstream(true);
    const { p } = await proxyOn(
      CONFIG(a.url).replace("model_info: { id: first }", "model_info: { id: first }\n    deployments:\n      - { id: d1 }\n      - { id: d2 }"),
    );
    const code = async (res: Response) => [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    expect(await code(await send(p, "POST", "/admin/models/nope/deployments", { model_params: { api_type: "mock" } }))).toEqual([404, "not_found"]);
    expect(await code(await send(p, "POST", "/admin/models/m/deployments", { model_name: "other", model_params: {} }))).toEqual([400, "invalid_value"]);
    expect(await code(await send(p, "POST", "/admin/models/m/deployments", { model_info: { id: "d1" }, model_params: { api_type: "mock" } }))).toEqual([
      409,
      "deployment_exists",
    ]);
    expect(await code(await send(p, "POST", "/admin/models/m/deployments", { model_params: { api_type: "openai" } }))).toEqual([400, "invalid_config"]);
    // Bodies that are not an entry: 400 in the admin API's shape, nothing applied.
    const versions = async () => ((await (await send(p, "GET", "/admin/config/versions")).json()) as { data: unknown[] }).data.length;
    const before = await versions();
    for (const raw of ["[]", '"x"', "{", '{"model_params":"x"}', '{"model_name":1}']) {
      const res = await fetch(`${p.url}/admin/models/m/deployments`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: raw });
      expect(res.status, raw).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, raw).toMatch(/^(invalid_json|invalid_value|invalid_config)$/);
    }
    expect(
      (await fetch(`${p.url}/admin/models/m/deployments`, { method: "POST", headers: { ...auth, "content-type": "text/plain" }, body: "{}" })).status,
    ).toBe(415);
    expect(await versions()).toBe(before);
    expect(await code(await send(p, "DELETE", "/admin/models/m/deployments/nope"))).toEqual([404, "not_found"]);
    expect(await code(await send(p, "DELETE", "/admin/models/other/deployments/other"))).toEqual([409, "last_deployment"]);
    // An item of a deployments list is removed from that list.
    expect((await send(p, "DELETE", "/admin/models/m/deployments/d1")).status).toBe(200);
    expect((await deployments(p)).data.find((g) => g.model === "m")!.deployments.map((d) => d.id)).toEqual(["d2"]);
    // Deleting the model takes every entry of its group.
    expect((await send(p, "POST", "/admin/models/other/deployments", { model_params: { api_type: "mock" } })).status).toBe(200);
    expect((await send(p, "DELETE", "/admin/models/other")).status).toBe(200);
    expect((await chat(p, "other")).status).toBe(404);
  });

  it("keeps a protected group as it is", async () => {
    const { p } = await proxyOn(`model_list:\n  - { model_name: locked, protected: true, model_params: { api_type: mock } }\n`);
    const res = await send(p, "POST", "/admin/models/locked/deployments", { model_params: { api_type: "mock" } });
    expect(res.status).toBe(403);
  });
});
