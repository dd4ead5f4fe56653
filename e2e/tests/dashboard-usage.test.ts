// The dashboard's Usage page in Chromium: a mixed workload (two keys, a priced and an unpriced
// model, streaming and not, one model whose upstream fails) goes through the proxy; the page's
// totals, top tables and stop reasons must match the ledger, a key's budget left must be what
// /admin/keys/{id}/usage says, a key's per-model limits (model_limits) must show what this minute
// used of them, the unpriced model must say so (never $0), and the CSV export must download the
// same report.

import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardPage, adminClient, ensureDashboardBuilt, launchChromium, openDashboardPage, screenshot, signIn } from "../lib/dashboard.js";
import { type RecordedRequest, type RunningProxy, type Upstream, chatChunk, sendJson, sseHead, startProxy, startUpstream } from "../lib/harness.js";
import { DONE, chatUsageChunk } from "../lib/scripted.js";

const PASSWORD = "dashboard-usage-pw";
let n = 0;

function answer(req: RecordedRequest, res: ServerResponse): void {
  const model = String(req.json?.model);
  if (model === "up-broken") return sendJson(res, 500, { error: { message: "upstream is down", type: "server_error" } });
  n += 1;
  const usage = { prompt_tokens: 20 + n, completion_tokens: 5 + n, total_tokens: 25 + 2 * n };
  if (req.json?.stream) {
    sseHead(res);
    res.write(chatChunk({ role: "assistant", content: "hi" }, { model }));
    res.write(chatChunk({}, { model, finish: n % 2 ? "stop" : "length" }));
    res.end(chatUsageChunk(usage, model) + DONE);
    return;
  }
  sendJson(res, 200, {
    id: `chatcmpl-${n}`,
    object: "chat.completion",
    created: 1,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
    usage,
  });
}

function config(up: Upstream): string {
  return `
model_list:
  - model_name: gpt
    model_params:
      api_type: openai
      api_base: ${up.url}
      api_key: sk-up
      model: up-gpt
      pricing: { input: 10000, output: 20000 }
  - model_name: local
    model_params: { api_type: openai, api_base: ${up.url}, model: up-local-without-a-price }
  - model_name: broken
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-broken }
router_settings:
  num_retries: 0
proxy_settings:
  usage: { flush_interval_ms: 50 }
app_keys:
  enabled: true
  keys:
    - { key_id: alice, secret: sk-alice-usage, max_budget: 25, budget_duration: 1d }
    - { key_id: bob, secret: sk-bob-usage, rpm_limit: 100, model_limits: { gpt: { rpm_limit: 5, tpm_limit: 1000 }, local: { tpm_limit: 2000 } } }
`;
}

interface Row {
  key: string | null;
  model: string;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced_requests: number;
}

let up: Upstream;
let p: RunningProxy;
let browser: Browser;
let dash: DashboardPage;

async function call(key: string, model: string, stream: boolean): Promise<number> {
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer sk-${key}-usage` },
    body: JSON.stringify({ model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: "user", content: "hi" }] }),
  });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  await ensureDashboardBuilt();
  up = await startUpstream(answer);
  p = await startProxy(config(up), { YALLMP_ADMIN_PASSWORD: PASSWORD });
  const workload: Array<[string, string, boolean]> = [
    ["alice", "gpt", false],
    ["alice", "gpt", true],
    ["alice", "local", false],
    ["bob", "gpt", true],
    ["bob", "local", true],
    ["bob", "local", false],
    ["bob", "broken", false],
  ];
  for (const [key, model, stream] of workload) {
    const status = await call(key, model, stream);
    expect(status, `${key} ${model}`).toBe(model === "broken" ? 500 : 200);
  }
  browser = await launchChromium();
  dash = await openDashboardPage(browser, p.url);
  await signIn(dash.page, PASSWORD, "/dashboard/usage");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
  await up?.close();
});

const tile = (page: Page, label: string) => page.locator(".tile", { has: page.getByText(label, { exact: true }) }).locator("dd");
const fmt = (v: number) => v.toLocaleString("en-US");
const usd = (v: number) => `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

describe("the Usage page", () => {
  it("shows the ledger's totals, top keys and models, the unpriced model as unpriced, and the budget left", async () => {
    const { page } = dash;
    const admin = adminClient(p.url, PASSWORD);
    const ledger = (await admin.get<{ data: Row[] }>("/admin/usage?group_by=key,model")).data;
    const sum = (f: (r: Row) => number, rows = ledger) => rows.reduce((s, r) => s + f(r), 0);
    expect(sum((r) => r.requests)).toBe(7);
    expect(sum((r) => r.errors)).toBe(1);

    await page.getByRole("heading", { name: "Usage" }).waitFor();
    await expect.poll(() => tile(page, "Requests").textContent()).toBe(fmt(7));
    expect(await tile(page, "Errors").textContent()).toBe("1");
    expect(await tile(page, "Input tokens").textContent()).toBe(fmt(sum((r) => r.input_tokens)));
    expect(await tile(page, "Output tokens").textContent()).toBe(fmt(sum((r) => r.output_tokens)));
    expect(await tile(page, "Error rate").textContent()).toBe("14%");
    // Some requests are unpriced: the spend says how many, on top of the priced part.
    const unpriced = sum((r) => r.unpriced_requests);
    expect(unpriced).toBe(3);
    expect(await tile(page, "Spend").textContent()).toBe(`${usd(sum((r) => r.cost_usd))} + ${unpriced} unpriced`);
    expect(await tile(page, "Spend").textContent()).not.toMatch(/^\$0\.00/);

    const models = page.getByRole("table", { name: "Top models" });
    const local = models.getByRole("row", { name: /^local/ });
    expect(await local.getByRole("cell").nth(4).textContent()).toBe("unpriced");
    const bobRow = page.getByRole("table", { name: "Top keys" }).getByRole("row", { name: /^bob/ });
    expect(await bobRow.getByRole("cell").first().textContent()).toBe("4");
    expect(await bobRow.getByRole("cell").nth(1).textContent()).toBe("1 (25%)");

    const stops = page.getByRole("table", { name: "Stop reasons" });
    await stops.getByRole("rowheader", { name: "stop" }).waitFor();
    expect(
      await stops
        .getByRole("row", { name: /failed/ })
        .getByRole("cell")
        .first()
        .textContent(),
    ).toBe("1");

    const alice = await admin.get<{ limits: { budget: { max_usd: number; remaining_usd: number } } }>("/admin/keys/alice/usage");
    expect(alice.limits.budget.remaining_usd).toBeLessThan(25);
    const limits = page.getByRole("table", { name: "Budgets and limits" });
    const aliceRow = limits.getByRole("row", { name: /^alice/ });
    expect(await aliceRow.getByRole("cell").nth(2).textContent()).toBe(`${usd(alice.limits.budget.remaining_usd)} of ${usd(25)}`);
    const bobLimits = limits.getByRole("row", { name: /^bob/ });
    expect(await bobLimits.getByRole("cell").nth(2).textContent()).toBe("no budget");
    expect(await bobLimits.getByRole("cell").nth(4).textContent()).toMatch(/ of 100$/);

    // bob's model_limits: gpt had one request this minute, local two, each counted at its real tokens.
    type Left = { limit: number; used: number; reset_ms: number | null } | null;
    const bob = await admin.get<{ limits: { model_limits: Record<string, { rpm: Left; tpm: Left }> } }>("/admin/keys/bob/usage");
    const tokens = (model: string) =>
      sum(
        (r) => r.input_tokens + r.output_tokens,
        ledger.filter((r) => r.key === "bob" && r.model === model),
      );
    expect(bob.limits.model_limits.gpt).toMatchObject({ rpm: { limit: 5, used: 1 }, tpm: { limit: 1000, used: tokens("gpt") } });
    expect(bob.limits.model_limits.local).toMatchObject({ rpm: null, tpm: { limit: 2000, used: tokens("local") } });
    const perModel = page.getByRole("table", { name: "Per-model limits" });
    await perModel.waitFor();
    expect(await perModel.getByRole("row").count()).toBe(3);
    const cells = (model: string) => perModel.getByRole("row", { name: new RegExp(`^bob ${model} `) }).getByRole("cell");
    expect(await cells("gpt").allTextContents()).toEqual(["gpt", "1 of 5", `${tokens("gpt")} of ${fmt(1000)}`, expect.stringMatching(/^\d+ s$/)]);
    expect(await cells("local").allTextContents()).toEqual(["local", "no limit", `${tokens("local")} of ${fmt(2000)}`, expect.stringMatching(/^\d+ s$/)]);
    await screenshot(page, "usage");
    expect(dash.takeErrors()).toEqual([]);
  });

  it("downloads the report shown as CSV, and switches range and breakdown", async () => {
    const { page } = dash;
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\r\n");
    const head = csv[0]!.split(",");
    expect(head.slice(0, 4)).toEqual(["period", "key", "model", "backend"]);
    const col = (name: string) => head.indexOf(name);
    const rows = csv.slice(1).map((l) => l.split(","));
    expect(rows.reduce((s, r) => s + Number(r[col("requests")]), 0)).toBe(7);
    expect(rows.reduce((s, r) => s + Number(r[col("errors")]), 0)).toBe(1);
    const bobLocal = rows.filter((r) => r[col("key")] === "bob" && r[col("model")] === "local");
    expect(bobLocal.reduce((s, r) => s + Number(r[col("unpriced_requests")]), 0)).toBe(2);

    await page.getByRole("group", { name: "Range" }).getByRole("button", { name: "7 d" }).click();
    await page.getByRole("group", { name: "Granularity" }).getByRole("button", { name: "per day", pressed: true }).waitFor();
    await page.getByRole("group", { name: "Break down by" }).getByRole("button", { name: "by key" }).click();
    const ledger = (await adminClient(p.url, PASSWORD).get<{ data: Row[] }>("/admin/usage?group_by=key")).data;
    const alice = ledger.find((r) => r.key === "alice")!;
    const legend = page
      .getByRole("figure")
      .filter({ hasText: "Tokens by key" })
      .getByRole("listitem")
      .filter({ hasText: /^alice/ });
    await expect.poll(() => legend.textContent()).toBe(`alice ${fmt(alice.input_tokens + alice.output_tokens)}`);
    await expect.poll(() => tile(page, "Requests").textContent()).toBe(fmt(7));
    expect(dash.takeErrors()).toEqual([]);
  });
});
