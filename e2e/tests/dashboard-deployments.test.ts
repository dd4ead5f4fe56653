// The Models page's deployments panel in Chromium: a group of two loopback deployments, one failing.
// The failing one is shown cooling down with the time it reopens, the other healthy with all the
// traffic; the panel follows the router live, with no reload.

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerOf } from "../lib/faults.js";
import { type DashboardPage, ensureDashboardBuilt, launchChromium, openDashboardPage, screenshot, signIn } from "../lib/dashboard.js";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";

const PASSWORD = "dashboard-deployments-pw";

let p: RunningProxy;
let good: Upstream;
let bad: Upstream;
let browser: Browser;
let dash: DashboardPage;

beforeAll(async () => {
  await ensureDashboardBuilt();
  good = await startUpstream((_req, res) => sendJson(res, 200, answerOf("chat").json));
  bad = await startUpstream((_req, res) => sendJson(res, 503, { error: { message: "down for maintenance" } }));
  p = await startProxy(
    `model_list:
  - model_name: llama
    model_info: { id: gpu-a }
    model_params: { api_base: "${good.url}", api_key: k, model: llama-3 }
  - model_name: llama
    model_info: { id: gpu-b }
    model_params: { api_base: "${bad.url}", api_key: k, model: llama-3, weight: 1000 }
  - model_name: solo
    model_params: { api_type: mock }
router_settings: { allowed_fails: 0, cooldown_seconds: 120, num_retries: 0 }
`,
    { YALLMP_ADMIN_PASSWORD: PASSWORD },
  );
  browser = await launchChromium();
  dash = await openDashboardPage(browser, p.url);
  await signIn(dash.page, PASSWORD, "/dashboard/config/models");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
  await good?.close();
  await bad?.close();
});

const chat = async () => {
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "llama", messages: [{ role: "user", content: "hi" }] }),
  });
  await res.text();
  return res.status;
};

describe("deployments panel", () => {
  it("shows the failing deployment cooling down and the healthy one with its share, live", async () => {
    const { page } = dash;
    const table = page.getByRole("table", { name: "Deployments of llama" });
    const row = (id: string) => table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: id }) });
    await expect.poll(() => row("gpu-b").innerText()).toContain("healthy");
    // A model of one deployment has no panel of its own.
    expect(await page.getByRole("table", { name: "Deployments of solo" }).count()).toBe(0);

    // Traffic while the page is open: gpu-b (weighted to be picked first) answers 503 and cools down; every request ends on gpu-a.
    for (let i = 0; i < 9; i++) expect(await chat()).toBe(200);
    expect(bad.requests.length).toBe(1);
    await expect.poll(() => row("gpu-b").innerText(), { timeout: 8_000 }).toMatch(/cooling down\s+until \d\d:\d\d:\d\d\.\d{3} \(in 1m \d+s\)/);
    const a = await row("gpu-a").innerText();
    expect(a).toContain("healthy");
    expect(a).toContain(new URL(good.url).host);
    expect(await row("gpu-a").getByLabel("90% of traffic").count()).toBe(1);
    expect(await row("gpu-b").getByLabel("10% of traffic").count()).toBe(1);
    // Requests 9 and failures 0 on gpu-a; 1 and 1 on gpu-b.
    expect((await row("gpu-a").getByRole("cell").allInnerTexts()).slice(-2)).toEqual(["9", "0"]);
    expect((await row("gpu-b").getByRole("cell").allInnerTexts()).slice(-2)).toEqual(["1", "1"]);
    await screenshot(page, "deployments");
    expect(dash.takeErrors()).toEqual([]);
  });
});
