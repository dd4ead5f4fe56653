// The Live page's search in Chromium: text over the captured bodies, the backend and stop-reason
// filters, and loading requests older than the first 200.

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardPage, ensureDashboardBuilt, launchChromium, openDashboardPage, signIn } from "../lib/dashboard.js";
import { type RunningProxy, startProxy } from "../lib/harness.js";

const PASSWORD = "dashboard-search-pw";
const CONFIG = `
model_list:
  - model_name: mock
    model_params: { api_type: mock, model: mock-1 }
  - model_name: mock-b
    model_params: { api_type: mock, model: mock-2 }
proxy_settings:
  traces: { capture: full, flush_interval_ms: 20 }
`;

let p: RunningProxy;
let browser: Browser;
let dash: DashboardPage;

async function chat(id: string, model: string, content: string): Promise<void> {
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": id },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

beforeAll(async () => {
  await ensureDashboardBuilt();
  p = await startProxy(CONFIG, { YALLMP_ADMIN_PASSWORD: PASSWORD });
  // The oldest first, then more than a page of others.
  await chat("search-oldest", "mock", "the very first question");
  await chat("search-zebra", "mock-b", "tell me about the zebra");
  for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 21 }, (_, i) => chat(`fill-${batch}-${i}`, "mock", `filler ${batch} ${i}`)));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
});

const rowOf = (id: string) => dash.page.getByRole("row").filter({ has: dash.page.getByRole("link", { name: `Trace ${id}`, exact: true }) });

describe("dashboard: searching the request log", { retry: 1 }, () => {
  it("finds a request by a word of its body, by backend, and loads requests older than the first 200", async () => {
    // A context of its own per attempt (a retry signs in afresh).
    dash = await openDashboardPage(browser, p.url);
    const { page } = dash;
    await signIn(page, PASSWORD, "/dashboard/live");
    await rowOf("fill-9-0").waitFor();
    expect(await rowOf("search-oldest").count()).toBe(0);

    await page.getByRole("searchbox", { name: "Search" }).fill("zebra");
    await page.getByRole("searchbox", { name: "Search" }).press("Enter");
    await rowOf("search-zebra").waitFor();
    await rowOf("fill-9-0").waitFor({ state: "detached" });
    expect(page.url()).toContain("q=zebra");
    await page.getByRole("searchbox", { name: "Search" }).fill("");
    await rowOf("fill-9-0").waitFor();
    expect(page.url()).not.toContain("q=");

    await page.getByLabel("Backend").selectOption("mock-b");
    await rowOf("search-zebra").waitFor();
    await rowOf("fill-9-0").waitFor({ state: "detached" });
    await page.getByLabel("Backend").selectOption("");
    await rowOf("fill-9-0").waitFor();
    await page.getByLabel("Stop reason").selectOption("length");
    await page.getByRole("heading", { name: "No requests match these filters" }).or(page.getByText("No requests match these filters")).first().waitFor();
    await page.getByLabel("Stop reason").selectOption("");

    await rowOf("fill-9-0").waitFor();
    await page.getByRole("button", { name: "Load older requests" }).click();
    await rowOf("search-oldest").waitFor();
    // 212 requests and the header row; none twice.
    expect(await page.getByRole("row").count()).toBe(213);
    expect(await page.getByRole("button", { name: "Load older requests" }).count()).toBe(0);
    expect(dash.takeErrors()).toEqual([]);
    await dash.context.close();
  });
});
