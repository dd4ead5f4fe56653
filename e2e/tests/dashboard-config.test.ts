// The dashboard's config editor in Chromium: an alias added in the YAML editor is validated, diffed,
// applied and answers through the API with no restart; a version rolls back; an invalid edit shows
// its error on its line and changes nothing; so does an edit the loader would only warn about (a
// typo'd api_type).

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardPage, adminClient, ensureDashboardBuilt, launchChromium, openDashboardPage, screenshot, signIn } from "../lib/dashboard.js";
import { type RunningProxy, startProxy } from "../lib/harness.js";

const PASSWORD = "dashboard-config-pw";
const KEY = "sk-team-a-config";
const CONFIG = `# Dashboard config test
model_list:
  - model_name: mock
    model_params:
      api_type: mock
      model: mock-1
  - model_name: mock-careful
    extends: mock
    model_params:
      parameters:
        temperature: { default: 0.1, allow_override: false }
router_settings:
  num_retries: 1
proxy_settings:
  traces: { capture: metadata }
app_keys:
  enabled: true
  keys:
    - key_id: team-a
      secret: ${KEY}
      concurrency_limit: 4
    - key_id: batch
      secret: sk-batch-config
      priority: 200
      queue_timeout: 30
`;

let p: RunningProxy;
let browser: Browser;
let dash: DashboardPage;
let admin: ReturnType<typeof adminClient>;

beforeAll(async () => {
  await ensureDashboardBuilt();
  p = await startProxy(CONFIG, { YALLMP_ADMIN_PASSWORD: PASSWORD });
  admin = adminClient(p.url, PASSWORD);
  browser = await launchChromium();
  dash = await openDashboardPage(browser, p.url);
  await signIn(dash.page, PASSWORD, "/dashboard/config");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
});

async function answers(model: string): Promise<number> {
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "ping" }] }),
  });
  await res.text();
  return res.status;
}

/** Replaces the editor's whole text the way a paste does. */
async function replaceYaml(page: Page, yaml: string): Promise<void> {
  const editor = page.getByRole("textbox", { name: "Config YAML" });
  await editor.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(yaml);
}

interface RunningConfig {
  yaml: string;
  version: number;
}

describe("dashboard: config", { retry: 1 }, () => {
  it("adds a model alias: validated as typed, diffed, applied, and answering with no restart", async () => {
    const { page } = dash;
    expect(await answers("mock-alias")).toBe(404);
    const running = await admin.get<RunningConfig>("/admin/config");
    expect(running.yaml).toMatch(/secret: "?\*\*\*"?/);
    const edited = running.yaml.replace("model_list:\n", "model_list:\n  - model_name: mock-alias\n    extends: mock\n");
    expect(edited).not.toBe(running.yaml);

    await page.getByRole("link", { name: "Editor" }).click();
    await replaceYaml(page, edited);
    const validation = page.getByRole("complementary", { name: "Validation" });
    await validation.getByText("Valid — ready to apply").waitFor();
    await validation.getByText("mock-alias", { exact: true }).waitFor();

    await page.getByRole("button", { name: /Diff against running \(2\)/ }).click();
    const diff = page.getByRole("region", { name: "Changes against the running config" });
    await diff.locator("tr.diff-add").filter({ hasText: "- model_name: mock-alias" }).waitFor();
    await expect(diff.locator("tr.diff-add").count()).resolves.toBe(2);
    await expect(diff.locator("tr.diff-del").count()).resolves.toBe(0);
    await screenshot(page, "config-diff");

    await page.getByRole("button", { name: "Apply" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Applied as version ${running.version + 1}` })
      .waitFor();
    expect(await answers("mock-alias")).toBe(200);
    // The secrets the editor showed as *** kept their values: the keys still work.
    expect(await answers("mock")).toBe(200);
    const after = await admin.get<RunningConfig>("/admin/config");
    expect(after.version).toBe(running.version + 1);
    expect(after.yaml).toContain("model_name: mock-alias");
    await page.getByRole("button", { name: "Apply" }).and(page.locator(":disabled")).waitFor();

    await page.getByRole("link", { name: "Models" }).click();
    await page
      .getByRole("table", { name: "Models" })
      .getByRole("rowheader", { name: /^mock-alias extends mock/ })
      .waitFor();
    await screenshot(page, "models");
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("table", { name: "API keys" }).getByRole("rowheader", { name: "batch" }).waitFor();
    await screenshot(page, "keys");
    expect(dash.takeErrors()).toEqual([]);
  });

  it("rolls back to the first version from the versions list: the alias is gone again", async () => {
    const { page } = dash;
    const before = await admin.get<RunningConfig>("/admin/config");
    await page.getByRole("link", { name: "Versions" }).click();
    const versions = page.getByRole("list", { name: "Versions" });
    await versions.getByRole("button", { name: /added mock-alias/ }).waitFor();
    await page
      .getByRole("region", { name: `Diff of version ${before.version}` })
      .locator("tr.diff-add")
      .filter({ hasText: "mock-alias" })
      .first()
      .waitFor();
    await screenshot(page, "config-versions");

    await versions.getByRole("button", { name: /^Version 1\b/ }).click();
    await page.getByRole("button", { name: "Roll back to version 1" }).click();
    await page.getByRole("button", { name: "Yes, roll back" }).click();
    await page.getByRole("status").filter({ hasText: "Rolled back to version 1" }).waitFor();
    expect(await answers("mock-alias")).toBe(404);
    expect(await answers("mock")).toBe(200);
    expect((await admin.get<RunningConfig>("/admin/config")).version).toBe(before.version + 1);
    expect(dash.takeErrors()).toEqual([]);
  });

  it("shows an invalid edit's error on its line, offers no apply, and changes nothing", async () => {
    const { page } = dash;
    const before = await admin.get<RunningConfig>("/admin/config");
    // A negative timeout on mock-careful (which no other model extends, so exactly one problem).
    const lines = before.yaml.split("\n");
    const careful = lines.findIndex((l) => l.trim() === "- model_name: mock-careful");
    const params = lines.findIndex((l, i) => i > careful && l.trim() === "model_params:");
    expect(careful).toBeGreaterThan(0);
    expect(params).toBeGreaterThan(careful);
    lines.splice(params + 1, 0, "      request_timeout: -5");
    const badLine = params + 2;

    await page.getByRole("link", { name: "Editor" }).click();
    await replaceYaml(page, lines.join("\n"));
    const validation = page.getByRole("complementary", { name: "Validation" });
    await validation.getByText(/1 problem — nothing will be applied/).waitFor();
    const problem = validation.getByRole("list", { name: "Problems" }).getByRole("listitem");
    await problem.getByText("model_list[1].model_params.request_timeout").waitFor();
    await problem.getByText("Too small: expected number to be >0").waitFor();
    await problem.getByRole("button", { name: `line ${badLine}` }).click();
    // The editor marks that very line.
    await page
      .locator(".cm-line")
      .nth(badLine - 1)
      .locator(".cm-lintRange-error")
      .waitFor();
    await expect(page.locator(".cm-lintRange-error").count()).resolves.toBe(1);
    await page.getByRole("button", { name: "Apply" }).and(page.locator(":disabled")).waitFor();
    await screenshot(page, "config");

    const after = await admin.get<RunningConfig>("/admin/config");
    expect(after).toEqual(before);
    expect(await answers("mock")).toBe(200);

    await page.getByRole("button", { name: "Revert" }).click();
    await validation.getByText("This is the running config.").waitFor();
    await expect(page.locator(".cm-lintRange-error").count()).resolves.toBe(0);
    // Validation problems are an answer (200, valid: false), so the console stays clean.
    expect(dash.takeErrors()).toEqual([]);
  });

  it("refuses a typo'd api_type on its line instead of applying it with a warning", async () => {
    const { page } = dash;
    const before = await admin.get<RunningConfig>("/admin/config");
    const lines = before.yaml.split("\n");
    const typeLine = lines.findIndex((l) => l.trim() === "api_type: mock");
    expect(typeLine).toBeGreaterThan(0);
    lines[typeLine] = lines[typeLine]!.replace("api_type: mock", "api_type: mokc");

    await page.getByRole("link", { name: "Editor" }).click();
    await replaceYaml(page, lines.join("\n"));
    const validation = page.getByRole("complementary", { name: "Validation" });
    const problem = validation.getByRole("list", { name: "Problems" }).getByRole("listitem").filter({ hasText: "model_list[0].model_params.api_type" });
    await problem.getByText(/api_type "mokc" is not one of openai, openai-responses, anthropic, mock/).waitFor();
    await problem.getByRole("button", { name: `line ${typeLine + 1}` }).waitFor();
    await page.getByRole("button", { name: "Apply" }).and(page.locator(":disabled")).waitFor();
    expect(await admin.get<RunningConfig>("/admin/config")).toEqual(before);
    expect(await answers("mock")).toBe(200);
    await page.getByRole("button", { name: "Revert" }).click();
    await validation.getByText("This is the running config.").waitFor();
    expect(dash.takeErrors()).toEqual([]);
  });
});
