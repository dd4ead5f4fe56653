// The dashboard's API keys page in Chromium: a key created there works at once with the secret it
// showed once (and copied), its limits and per-model limits edited there are enforced, a
// regenerated secret replaces the old one, and a delete asks first. Each change lands in the config file and its versions.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardPage, adminClient, ensureDashboardBuilt, launchChromium, openDashboardPage, signIn } from "../lib/dashboard.js";
import { type RunningProxy, startProxy } from "../lib/harness.js";

const PASSWORD = "dashboard-keys-pw";
const TEAM_KEY = "sk-team-a-keys-page";
const CONFIG = `# Keys page test
model_list:
  - model_name: mock
    model_params: { api_type: mock }
app_keys:
  enabled: true
  keys:
    - key_id: team-a   # the first team
      secret: ${TEAM_KEY}
`;

let p: RunningProxy;
let browser: Browser;
let dash: DashboardPage;
let path: string;
let dir: string;
const admin = () => adminClient(p.url, PASSWORD);

beforeAll(async () => {
  await ensureDashboardBuilt();
  dir = mkdtempSync(join(tmpdir(), "yallmp-keys-page-"));
  path = join(dir, "config.yaml");
  writeFileSync(path, CONFIG);
  p = await startProxy(CONFIG, { YALLMP_ADMIN_PASSWORD: PASSWORD }, { configPath: path });
  browser = await launchChromium();
  dash = await openDashboardPage(browser, p.url);
  await signIn(dash.page, PASSWORD, "/dashboard/config/keys");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
});

async function chat(key: string): Promise<number> {
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "ping" }] }),
  });
  await res.text();
  return res.status;
}

const versions = async () => (await admin().get<{ data: unknown[] }>("/admin/config/versions")).data.length;

describe("the API keys page", () => {
  it("creates a key whose secret is shown once with a copy button, and works at once", async () => {
    const { page } = dash;
    const before = await versions();
    const form = page.getByRole("form", { name: "Create a key" });
    await form.getByLabel("Key id").fill("ci-bot");
    await form.getByLabel("Name").fill("CI bot");
    await form.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("status", { name: "New secret" });
    const secret = (await shown.getByLabel("Secret").textContent())!;
    expect(secret).toMatch(/^sk-yallmp-/);
    await shown.getByRole("button", { name: "Copy secret" }).click();
    await shown.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);
    await page.getByRole("table", { name: "API keys" }).getByRole("rowheader", { name: "ci-bot" }).waitFor();
    expect(await chat(secret)).toBe(200);
    expect(readFileSync(path, "utf8")).toContain("key_id: ci-bot");
    expect(readFileSync(path, "utf8")).not.toContain(secret);
    expect(readFileSync(join(dir, ".env"), "utf8")).toContain(`YALLMP_KEY_CI_BOT=${secret}`);
    expect(await versions()).toBe(before + 1);
    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "detached" });
    // Gone from the page once dismissed, and never in the list.
    expect(await page.content()).not.toContain(secret);
  });

  it("edits a key's limits and budget, saved as a version and enforced", async () => {
    const { page } = dash;
    const before = await versions();
    await page.getByRole("button", { name: "Edit limits of ci-bot" }).click();
    const form = page.getByRole("form", { name: "Limits of ci-bot" });
    await form.getByLabel("Requests per minute (rpm_limit)").fill("1");
    await form.getByLabel("Budget in USD (max_budget)").fill("5");
    await form.getByLabel("Budget period (budget_duration)").fill("1d");
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.waitFor({ state: "detached" });
    const row = page.getByRole("row", { name: /ci-bot/ });
    await row.getByRole("cell", { name: "$5 / 1d" }).waitFor();
    const keys = await admin().get<{ data: Array<Record<string, unknown>> }>("/admin/keys");
    expect(keys.data.find((k) => k.keyId === "ci-bot")).toMatchObject({ rpmLimit: 1, maxBudget: 5, budgetDuration: "1d", tpmLimit: null });
    expect(readFileSync(path, "utf8")).toContain("rpm_limit: 1");
    expect(await versions()).toBe(before + 1);
    const secret = readFileSync(join(dir, ".env"), "utf8").match(/YALLMP_KEY_CI_BOT=(.+)/)![1]!;
    expect([await chat(secret), await chat(secret)]).toEqual([200, 429]);

    // A refused value says why and changes nothing.
    await page.getByRole("button", { name: "Edit limits of ci-bot" }).click();
    await form.getByLabel("Budget period (budget_duration)").fill("soon");
    await form.getByRole("button", { name: "Save limits" }).click();
    await page
      .getByRole("alert")
      .getByText(/budget_duration/)
      .waitFor();
    expect(readFileSync(path, "utf8")).not.toContain("soon");
    // A limit that is not a number is refused by name, never sent as "no limit".
    await form.getByLabel("Budget period (budget_duration)").fill("1d");
    await form.getByLabel("Requests per minute (rpm_limit)").fill("ten");
    await form.getByRole("button", { name: "Save limits" }).click();
    await page
      .getByRole("alert")
      .getByText(/rpm_limit/)
      .waitFor();
    expect(readFileSync(path, "utf8")).toContain("rpm_limit: 1");
    expect(await versions()).toBe(before + 1);
    await form.getByRole("button", { name: "Cancel" }).click();
  });

  it("edits a key's per-model limits: listed, saved as a version, enforced, and removed again", async () => {
    const { page } = dash;
    const before = await versions();
    const entry = async () => (await admin().get<Record<string, unknown>>("/admin/keys/team-a")).model_limits;
    await page.getByRole("button", { name: "Edit limits of team-a" }).click();
    const form = page.getByRole("form", { name: "Limits of team-a" });
    await form.getByRole("button", { name: "Add a model limit" }).click();
    await form.getByLabel("Model 1", { exact: true }).fill("mock");
    await form.getByLabel("Requests per minute of model 1").fill("1");
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.waitFor({ state: "detached" });
    const row = page.getByRole("row", { name: /^team-a/ });
    await row.getByRole("cell", { name: "mock: 1 rpm" }).waitFor();
    expect(await entry()).toEqual({ mock: { rpm_limit: 1 } });
    expect(await versions()).toBe(before + 1);
    expect([await chat(TEAM_KEY), await chat(TEAM_KEY)]).toEqual([200, 429]);

    // The form starts from what is set; a limit that is not a number is refused by name.
    await page.getByRole("button", { name: "Edit limits of team-a" }).click();
    expect(await form.getByLabel("Model 1", { exact: true }).inputValue()).toBe("mock");
    await form.getByLabel("Tokens per minute of model 1").fill("lots");
    await form.getByRole("button", { name: "Save limits" }).click();
    await page
      .getByRole("alert")
      .getByText(/model_limits/)
      .waitFor();
    expect(await entry()).toEqual({ mock: { rpm_limit: 1 } });

    await form.getByRole("button", { name: "Remove model 1" }).click();
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.waitFor({ state: "detached" });
    await row.getByRole("cell", { name: "mock: 1 rpm" }).waitFor({ state: "detached" });
    expect(await entry()).toBeUndefined();
    expect(readFileSync(path, "utf8")).not.toContain("model_limits");
    expect(await chat(TEAM_KEY)).toBe(200);
  });

  it("regenerates a secret: the new one is shown once and the old one stops working", async () => {
    const { page } = dash;
    expect(await chat(TEAM_KEY)).toBe(200);
    await page.getByRole("button", { name: "Regenerate team-a" }).click();
    const shown = page.getByRole("status", { name: "New secret" });
    const secret = (await shown.getByLabel("Secret").textContent())!;
    expect(secret).not.toBe(TEAM_KEY);
    expect(await chat(TEAM_KEY)).toBe(401);
    expect(await chat(secret)).toBe(200);
    // The operator's comment on the entry stays.
    expect(readFileSync(path, "utf8")).toContain("    - key_id: team-a   # the first team\n");
    await shown.getByRole("button", { name: "Done" }).click();
  });

  it("deletes a key only once confirmed", async () => {
    const { page } = dash;
    await page.getByRole("button", { name: "Delete ci-bot" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete key ci-bot?" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(readFileSync(path, "utf8")).toContain("key_id: ci-bot");
    await page.getByRole("button", { name: "Delete ci-bot" }).click();
    await dialog.getByRole("button", { name: "Delete key" }).click();
    await page.getByRole("table", { name: "API keys" }).getByRole("rowheader", { name: "ci-bot" }).waitFor({ state: "detached" });
    expect(readFileSync(path, "utf8")).not.toContain("ci-bot");
    expect(readFileSync(join(dir, ".env"), "utf8")).not.toContain("YALLMP_KEY_CI_BOT");
    // The refused save above was a 400 (Chromium logs it); nothing else went wrong.
    expect(dash.takeErrors().filter((e) => !e.includes("status of 400"))).toEqual([]);
  });
});
