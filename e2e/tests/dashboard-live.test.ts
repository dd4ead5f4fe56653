// The dashboard in Chromium: signing in, requests appearing live as they are sent through the
// proxy (WebSocket, no polling), filters and pause, and a request's trace with both streams.

import { execFile } from "node:child_process";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DashboardPage, adminClient, ensureDashboardBuilt, launchChromium, openDashboardPage, screenshot } from "../lib/dashboard.js";
import { type RunningProxy, startProxy } from "../lib/harness.js";

const PASSWORD = "dashboard-live-pw";
const TEAM_A = "sk-team-a-live";
const TEAM_B = "sk-team-b-live";
const CONFIG = `
model_list:
  - model_name: mock
    model_params:
      api_type: mock
      model: mock-1
  - model_name: mock-slow
    extends: mock
    model_params:
      mock: { latency_ms: 300, chunk_delay_ms: 80 }
  - model_name: mock-flaky
    extends: mock
    model_params:
      mock: { fail_status: 503, fail_times: 1 }
router_settings: { num_retries: 1, retry_base_delay_ms: 5 }
proxy_settings:
  traces: { capture: full }
app_keys:
  enabled: true
  keys:
    - { key_id: team-a, secret: ${TEAM_A} }
    - { key_id: team-b, secret: ${TEAM_B} }
`;

let p: RunningProxy;
let browser: Browser;
let dash: DashboardPage;

beforeAll(async () => {
  await ensureDashboardBuilt();
  p = await startProxy(CONFIG, { YALLMP_ADMIN_PASSWORD: PASSWORD });
  browser = await launchChromium();
  dash = await openDashboardPage(browser, p.url);
}, 120_000);

// A failed step shows what the page held, so a failure in CI can be read from its log.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== "fail" || !dash) return;
  const text = await dash.page
    .locator("body")
    .innerText({ timeout: 2000 })
    .catch((err: Error) => `(no text: ${err.message})`);
  console.error(`page ${dash.page.url()} at failure:\n${text.slice(0, 4000)}\nconsole: ${JSON.stringify(dash.takeErrors())}`);
});

afterAll(async () => {
  await browser?.close();
  await p?.close();
});

/** A chat completion through the proxy with our own request id, so its row can be found. */
async function chat(id: string, model: string, opts: { stream?: boolean; key?: string } = {}): Promise<number> {
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${opts.key ?? TEAM_A}`, "x-request-id": id },
    body: JSON.stringify({ model, stream: opts.stream ?? false, messages: [{ role: "user", content: `Hello from ${id}, tell me something` }] }),
  });
  await res.text();
  return res.status;
}

const rowOf = (id: string) => dash.page.getByRole("row").filter({ has: dash.page.getByRole("link", { name: `Trace ${id}`, exact: true }) });

describe("dashboard: sign-in, live traffic, traces", { retry: 1 }, () => {
  it("sends a signed-out visit to sign-in, refuses a wrong password, and returns to the page asked for", async () => {
    const { page } = dash;
    await page.goto("/dashboard/config/models");
    await page.getByRole("heading", { name: "Sign in to the dashboard" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await screenshot(page, "login");
    // A password is set: no notice that there is nothing to sign in to.
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(dash.takeErrors()).toEqual([]);

    await page.getByLabel("Admin password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong password." }).waitFor();
    // The refused login (a 401, which Chromium logs) is the only thing the console may report.
    expect(dash.takeErrors().filter((e) => !(e.includes("status of 401") && e.endsWith("[/admin/login]")))).toEqual([]);

    await page.getByLabel("Admin password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page
      .getByRole("table", { name: "Models" })
      .getByRole("rowheader", { name: /mock-slow/ })
      .waitFor();
    expect(new URL(page.url()).pathname).toBe("/dashboard/config/models");
    expect(dash.takeErrors()).toEqual([]);
  });

  it("shows requests within a second of being sent: running first, then their status", async () => {
    const { page } = dash;
    await page.getByRole("navigation", { name: "Sections", exact: true }).getByRole("link", { name: "Live" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: /^Live$/ })
      .waitFor();

    // A slow stream is visible while it runs (request.started), then finishes (request.finished).
    let t0 = performance.now();
    const slow = chat("live-slow", "mock-slow", { stream: true, key: TEAM_B });
    await rowOf("live-slow").getByText("running").waitFor({ timeout: 1000 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await slow).toBe(200);
    t0 = performance.now();
    await rowOf("live-slow").getByText("200", { exact: true }).waitFor({ timeout: 1000 });
    expect(performance.now() - t0).toBeLessThan(1000);

    // A quick answer and a failure, each within a second of the client getting its answer.
    for (const [id, model, status] of [
      ["live-fast", "mock", "200"],
      ["live-missing", "no-such-model", "404"],
    ] as const) {
      expect(String(await chat(id, model))).toBe(status);
      t0 = performance.now();
      await rowOf(id).getByText(status, { exact: true }).waitFor({ timeout: 1000 });
      expect(performance.now() - t0).toBeLessThan(1000);
    }
    await rowOf("live-fast").getByRole("cell", { name: "chat to chat", exact: true }).waitFor();
    await rowOf("live-slow").getByRole("cell", { name: "team-b", exact: true }).waitFor();

    // Some traffic for the charts.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => chat(`live-bulk-${i}`, i % 3 === 0 ? "mock-slow" : "mock", { stream: i % 2 === 0, key: i % 2 ? TEAM_A : TEAM_B })),
    );
    await rowOf("live-bulk-7").waitFor({ timeout: 1000 });
    await page.getByRole("img", { name: "Latency" }).waitFor();
    await screenshot(page, "live");
    expect(dash.takeErrors()).toEqual([]);
  });

  it("shows a failed request's whole error message in Notes, not cut off", async () => {
    const message = "The model `no-such-model` does not exist or you do not have access to it.";
    const note = rowOf("live-missing").getByRole("cell").last().getByText(message, { exact: true });
    await note.waitFor();
    // Neither clipped by an ellipsis nor running out of its cell.
    const fit = await note.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const c = el.closest("td")!.getBoundingClientRect();
      return { clipped: el.scrollWidth > el.clientWidth, inside: r.left >= c.left - 1 && r.right <= c.right + 1 };
    });
    expect(fit).toEqual({ clipped: false, inside: true });
    await expect(note.getAttribute("title")).resolves.toBe(message);
  });

  it("the error-rate tile and the chart's legend give the same 5-minute figure", { timeout: 60_000 }, async () => {
    const { page } = dash;
    // A success in a later 10 s bucket than the 404 above: the newest bucket alone has no errors.
    await new Promise((r) => setTimeout(r, 11_000));
    expect(await chat("live-later", "mock")).toBe(200);
    await rowOf("live-later").getByText("200", { exact: true }).waitFor();
    const traffic = page.getByRole("region", { name: "Traffic" });
    const tile = traffic
      .getByRole("term")
      .filter({ hasText: /^Error rate \(5 min\)$/ })
      .locator("xpath=following-sibling::dd[1]");
    const legend = traffic.getByRole("figure", { name: "Error rate" }).getByRole("listitem").filter({ hasText: "errors (5 min)" });
    // The 404 is within the window, so the figure is not 0 %.
    await expect.poll(() => tile.textContent()).toMatch(/^[1-9]\d*%$/);
    expect((await legend.textContent())!.replace("errors (5 min)", "").trim()).toBe(await tile.textContent());
    expect(dash.takeErrors()).toEqual([]);
  });

  it("filters by status and key, and pause holds the list until resumed", async () => {
    const { page } = dash;
    // The server's filtered lists first: a row missing there is the trace store's fault, not the page's.
    const api = adminClient(p.url, PASSWORD);
    const ids = async (query: string) => (await api.get<{ data: Array<{ id: string }> }>(`/admin/traces?${query}`)).data.map((t) => t.id);
    expect(await ids("status=error")).toEqual(["live-missing"]);
    const teamB = await ids("key=team-b");
    expect(teamB).toContain("live-slow");
    expect(teamB).not.toContain("live-fast");

    await page.getByLabel("Status").selectOption("error");
    await rowOf("live-missing").waitFor();
    await rowOf("live-fast").waitFor({ state: "detached" });
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Key").selectOption("team-b");
    await rowOf("live-slow").waitFor();
    await rowOf("live-fast").waitFor({ state: "detached" });
    await page.getByLabel("Key").selectOption("");
    await rowOf("live-fast").waitFor();

    // Two filters changed before the page renders again (a quick operator, a busy machine): both hold.
    const pickBoth = (status: string, key: string) =>
      page.evaluate(`(() => {
        const pick = (name, value) => {
          const label = [...document.querySelectorAll("label")].find((l) => l.querySelector("span")?.textContent === name);
          const select = label.querySelector("select");
          select.value = value;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        };
        pick("Status", ${JSON.stringify(status)});
        pick("Key", ${JSON.stringify(key)});
      })()`);
    await pickBoth("ok", "team-b");
    await rowOf("live-slow").waitFor();
    await rowOf("live-fast").waitFor({ state: "detached" });
    await expect.poll(() => new URL(page.url()).searchParams.toString()).toBe("key=team-b&status=ok");
    await pickBoth("", "");
    await rowOf("live-fast").waitFor();
    await rowOf("live-missing").waitFor();
    expect(new URL(page.url()).search).toBe("");

    await page.getByRole("button", { name: "Pause" }).click();
    expect(await chat("live-while-paused", "mock")).toBe(200);
    await page.getByRole("button", { name: "Resume (1 new)" }).waitFor({ timeout: 1000 });
    expect(await rowOf("live-while-paused").count()).toBe(0);
    await page.getByRole("button", { name: "Resume (1 new)" }).click();
    await rowOf("live-while-paused").waitFor({ timeout: 1000 });
    expect(dash.takeErrors()).toEqual([]);
  });

  it("opens a trace: both streams side by side with time offsets, the warning, and copy as curl", async () => {
    const { page } = dash;
    // Responses in, chat out (the mock speaks chat): the two streams differ, and web_search is dropped.
    const res = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TEAM_A}`, "x-request-id": "trace-responses" },
      body: JSON.stringify({ model: "mock", stream: true, input: "Name three rivers", tools: [{ type: "web_search" }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await page.getByRole("link", { name: "Trace trace-responses", exact: true }).click();

    await page.getByRole("heading", { name: "Streams" }).waitFor();
    const streams = page.getByRole("table", { name: "Streams" });
    await streams.getByRole("columnheader", { name: /Upstream stream \(chat, \d+ events\)/ }).waitFor();
    await streams.getByRole("columnheader", { name: /Sent to the client \(responses, \d+ events\)/ }).waitFor();
    // Row by row: the upstream's chat chunk on the left, the Responses events it became on the right.
    const row = streams.getByRole("row").filter({ has: page.getByRole("cell").first().filter({ hasText: '"content":"Name"' }) });
    await expect(row.getByRole("cell").nth(1).textContent()).resolves.toContain("response.output_text.delta");
    await expect(row.getByRole("cell").nth(0).textContent()).resolves.toMatch(/\+\d+(\.\d+)? ms/);
    // Grouped by code: the hosted tool the chat backend cannot run is under tool_dropped.
    await page
      .getByRole("region", { name: "Translation warnings" })
      .getByRole("group", { name: "Warnings tool_dropped" })
      .getByText(/web_search/)
      .waitFor();
    await page.getByRole("heading", { name: "Client request" }).waitFor();
    await page.getByRole("table", { name: "Attempts" }).getByText("answered").waitFor();
    await screenshot(page, "trace");

    await page.getByRole("button", { name: "Copy as curl" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    // Runs in the page, where `navigator` exists (the e2e tsconfig has no DOM types).
    const curl = await page.evaluate<string>("navigator.clipboard.readText()");
    expect(curl.startsWith(`curl -sN '${p.url}/v1/responses'`)).toBe(true);
    expect(curl).toContain("Name three rivers");
    expect(curl).not.toContain(TEAM_A);
    // The copied command works as it is, once the operator supplies a key.
    const out = await new Promise<string>((resolve, reject) =>
      execFile("bash", ["-c", curl], { env: { ...process.env, YALLMP_API_KEY: TEAM_A }, timeout: 10_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    ).catch((err: NodeJS.ErrnoException) =>
      String(err.message).includes("curl: command not found") ? "response.completed (curl not installed)" : Promise.reject(err),
    );
    expect(out).toContain("response.completed");
    expect(dash.takeErrors()).toEqual([]);
  });

  it("shows a retried request's attempts and why each ended", async () => {
    const { page } = dash;
    expect(await chat("trace-retried", "mock-flaky")).toBe(200);
    await page.goto("/dashboard/traces/trace-retried");
    const attempts = page.getByRole("table", { name: "Attempts" });
    await attempts.getByText("retried").waitFor();
    await attempts.getByText("answered").waitFor();
    await expect(attempts.getByRole("row").count()).resolves.toBe(3); // the header and two attempts
    await attempts.getByText("503", { exact: true }).waitFor();
    expect(dash.takeErrors()).toEqual([]);
  });

  it("says on the sign-in page when no admin password is set", async () => {
    const off = await startProxy(CONFIG);
    const d = await openDashboardPage(browser, off.url);
    try {
      await d.page.goto("/dashboard/");
      await d.page.getByRole("heading", { name: "Sign in to the dashboard" }).waitFor();
      await d.page.getByRole("alert").filter({ hasText: "No admin password is set, so the admin API is off." }).waitFor();
      await expect(d.page.getByLabel("Admin password").isDisabled()).resolves.toBe(true);
      expect(d.takeErrors()).toEqual([]);
    } finally {
      await d.context.close();
      await off.close();
    }
  });

  it("signs out: the cookie is gone and signed-in pages send the operator back to sign-in", async () => {
    const { page, context } = dash;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to the dashboard" }).waitFor();
    expect((await context.cookies()).some((c) => c.name === "yallmp_admin" && c.value !== "")).toBe(false);
    await page.goto("/dashboard/live");
    await page.getByRole("heading", { name: "Sign in to the dashboard" }).waitFor();
    expect(dash.takeErrors()).toEqual([]);
  });
});
