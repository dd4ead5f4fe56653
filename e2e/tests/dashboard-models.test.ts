// The Models page's forms in Chromium: a model added through the form answers from its upstream
// (its key moved to configs/.env), one edited keeps its masked key, one copied answers too; a
// delete lists what depends on the model first; the server's problem shows at its field; a
// protected model is refused plainly. Each change is a config version the page names.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardPage, adminClient, ensureDashboardBuilt, launchChromium, openDashboardPage, screenshot, signIn } from "../lib/dashboard.js";
import { type RunningProxy, type Upstream, chatCompletion, sendJson, startProxy, startUpstream } from "../lib/harness.js";

const PASSWORD = "dashboard-models-pw";
const SEEDED_KEY = "sk-seeded-literal-key";
const TYPED_KEY = "sk-typed-in-the-form";

let upstream: Upstream;
let p: RunningProxy;
let browser: Browser;
let dash: DashboardPage;
let admin: ReturnType<typeof adminClient>;
let dir: string;

const config = (base: string) => `# Dashboard models test
model_list:
  - model_name: base
    model_params: { api_type: mock, model: mock-1 }
  - model_name: base-alias
    extends: base
  - model_name: served
    model_params:
      api_type: openai
      api_base: ${base}
      model: up-1
      api_key: ${SEEDED_KEY}
  - model_name: locked
    protected: true
    model_params: { api_type: mock }
router_settings:
  fallbacks:
    - { locked: [base] }
`;

beforeAll(async () => {
  await ensureDashboardBuilt();
  upstream = await startUpstream((req, res) => sendJson(res, 200, chatCompletion(`from ${String(req.json?.model)}`)));
  dir = mkdtempSync(join(tmpdir(), "yallmp-dash-models-"));
  const path = join(dir, "config.yaml");
  writeFileSync(path, config(upstream.url));
  p = await startProxy(config(upstream.url), { YALLMP_ADMIN_PASSWORD: PASSWORD }, { configPath: path });
  admin = adminClient(p.url, PASSWORD);
  browser = await launchChromium();
  dash = await openDashboardPage(browser, p.url);
  await signIn(dash.page, PASSWORD, "/dashboard/config/models");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
  await upstream?.close();
});

/** Asks the proxy for `model`; answers the status and what the upstream saw, if it was reached. */
async function ask(model: string): Promise<{ status: number; upstream?: { model: unknown; authorization?: string; temperature?: unknown } }> {
  const before = upstream.requests.length;
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "ping" }] }),
  });
  await res.text();
  const seen = upstream.requests[before];
  return {
    status: res.status,
    ...(seen ? { upstream: { model: seen.json?.model, authorization: seen.headers.authorization, temperature: seen.json?.temperature } } : {}),
  };
}

const version = async () => (await admin.get<{ version: number }>("/admin/config")).version;
const models = (page: Page) => page.getByRole("table", { name: "Models" });
const row = (page: Page, name: string) =>
  models(page)
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${name}(\\s|$)`) }) });

async function savedAs(page: Page, what: string, n: number): Promise<void> {
  await page
    .getByRole("status")
    .filter({ hasText: `${what} as config version ${n}.` })
    .waitFor();
}

/** The Models page loaded afresh, so a retried test starts from nothing open. */
async function freshPage(): Promise<Page> {
  await dash.page.goto("/dashboard/config/models");
  await models(dash.page).waitFor();
  return dash.page;
}

/** The console lines Chromium writes for the refusals a test provoked (and nothing else). */
function onlyRefusals(errors: string[], statuses: number[]): void {
  expect(errors.map((e) => /status of (\d+)/.exec(e)?.[1])).toEqual(statuses.map(String));
}

async function fieldError(form: Locator, field: string): Promise<Locator> {
  const error = form.locator(`#model-field-${field}-error`);
  await error.waitFor();
  expect(await form.locator(`#model-field-${field}`).getAttribute("aria-invalid")).toBe("true");
  return error;
}

describe("dashboard: model forms", { retry: 1 }, () => {
  it("adds a model through the form: it answers from its upstream, its key kept in configs/.env", async () => {
    const page = await freshPage();
    const v = await version();
    expect((await ask("added")).status).toBe(404);
    await page.getByRole("button", { name: "Add model" }).click();
    const form = page.getByRole("form", { name: "Add model" });
    await form.getByLabel("Model name").fill("added");
    await form.getByLabel("API type").selectOption("openai");
    await form.getByLabel("API base").fill(upstream.url);
    await form.getByLabel("Upstream model").fill("up-added");
    await form.getByLabel("API key").fill(TYPED_KEY);
    expect(await form.getByLabel("API key").getAttribute("type")).toBe("password");
    await form.getByLabel("Parameters (JSON)").fill('{"temperature": {"default": 0.3, "allow_override": false}}');
    await form.getByRole("button", { name: "Create model" }).click();
    await savedAs(page, "Added model added", v + 1);
    await row(page, "added").waitFor();

    expect(await ask("added")).toEqual({ status: 200, upstream: { model: "up-added", authorization: `Bearer ${TYPED_KEY}`, temperature: 0.3 } });
    expect(readFileSync(join(dir, "config.yaml"), "utf8")).not.toContain(TYPED_KEY);
    expect(readFileSync(join(dir, ".env"), "utf8")).toContain(`=${TYPED_KEY}`);
    expect(dash.takeErrors()).toEqual([]);
  });

  it("edits a model prefilled from its entry: the key shows as ***, and saved untouched keeps working", async () => {
    const page = await freshPage();
    const v = await version();
    await row(page, "served").getByRole("button", { name: "Edit served" }).click();
    const form = page.getByRole("form", { name: "Edit model served" });
    await expect(form.getByLabel("API key").inputValue()).resolves.toBe("***");
    await expect(form.getByLabel("Upstream model").inputValue()).resolves.toBe("up-1");
    await expect(form.getByLabel("API base").inputValue()).resolves.toBe(upstream.url);
    expect(await form.getByLabel("Model name").getAttribute("readonly")).not.toBeNull();
    expect(await page.content()).not.toContain(SEEDED_KEY);
    await form.getByLabel("Upstream model").fill("up-2");
    await form.getByRole("button", { name: "Save changes" }).click();
    await savedAs(page, "Saved model served", v + 1);
    await form.waitFor({ state: "detached" });
    await row(page, "served").getByText("up-2").waitFor();
    expect(await ask("served")).toMatchObject({ status: 200, upstream: { model: "up-2", authorization: `Bearer ${SEEDED_KEY}` } });
    expect(dash.takeErrors()).toEqual([]);
  });

  it("copies a model to a new name that answers the same way", async () => {
    const page = await freshPage();
    const v = await version();
    await row(page, "served").getByRole("button", { name: "Copy served" }).click();
    const form = page.getByRole("form", { name: "Copy model served" });
    await form.getByLabel("New model name").fill("served-copy");
    await form.getByRole("button", { name: "Copy" }).click();
    await savedAs(page, "Copied served to served-copy", v + 1);
    await row(page, "served-copy").waitFor();
    expect(await ask("served-copy")).toMatchObject({ status: 200, upstream: { model: "up-2", authorization: `Bearer ${SEEDED_KEY}` } });
    expect(dash.takeErrors()).toEqual([]);
  });

  it("shows the server's problem at its field and applies nothing", async () => {
    const page = await freshPage();
    const v = await version();
    await page.getByRole("button", { name: "Add model" }).click();
    const form = page.getByRole("form", { name: "Add model" });
    await form.getByLabel("Model name").fill("broken");
    await form.getByLabel("API base").fill("ftp://files.example/v1");
    await form.getByRole("button", { name: "Create model" }).click();
    await (await fieldError(form, "api_base")).getByText(/not an http\(s\) URL/).waitFor();
    await form.getByRole("alert").getByText("Not saved: see the problems at the fields.").waitFor();
    await screenshot(page, "model-form");
    // Fixed, the next problem shows at its own field, and the first is gone.
    await form.getByLabel("API base").fill(upstream.url);
    await form.getByLabel("Request timeout (s)").fill("-5");
    await form.getByRole("button", { name: "Create model" }).click();
    await (await fieldError(form, "request_timeout")).getByText(/Too small/).waitFor();
    await expect(form.locator("#model-field-api_base-error").count()).resolves.toBe(0);
    expect(await version()).toBe(v);
    expect((await ask("broken")).status).toBe(404);
    await form.getByRole("button", { name: "Cancel" }).click();
    onlyRefusals(dash.takeErrors(), [400, 400]);
  });

  it("refuses a protected model's change and delete plainly", async () => {
    const page = await freshPage();
    const v = await version();
    await row(page, "locked").getByRole("button", { name: "Edit locked" }).click();
    const form = page.getByRole("form", { name: "Edit model locked" });
    await form.getByText(/This model is protected/).waitFor();
    await form.getByLabel("Upstream model").fill("changed");
    await form.getByRole("button", { name: "Save changes" }).click();
    await form
      .getByRole("alert")
      .getByText(/Model 'locked' is protected \(protected: true\)/)
      .waitFor();
    await form.getByRole("button", { name: "Cancel" }).click();

    await row(page, "locked").getByRole("button", { name: "Delete locked" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Delete model locked" });
    await confirm.getByRole("button", { name: "Yes, delete locked" }).click();
    await confirm
      .getByRole("alert")
      .getByText(/Not deleted: Model 'locked' is protected/)
      .waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await version()).toBe(v);
    expect((await ask("locked")).status).toBe(200);
    onlyRefusals(dash.takeErrors(), [403, 403]);
  });

  it("lists a model's dependents before deleting it; deletes a model nothing depends on", async () => {
    const page = await freshPage();
    const v = await version();
    await row(page, "base").getByRole("button", { name: "Delete base" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Delete model base" });
    const dependents = confirm.getByRole("list", { name: "Dependents" });
    await dependents.getByRole("listitem").filter({ hasText: "base-alias extends it" }).waitFor();
    await dependents.getByRole("listitem").filter({ hasText: "locked falls back to it" }).waitFor();
    await expect(dependents.getByRole("listitem").count()).resolves.toBe(2);
    await screenshot(page, "model-delete");
    await confirm.getByRole("button", { name: "Yes, delete base" }).click();
    // Refused as yaLLMproxy refuses it (409, its dependents), each at its path.
    await confirm.getByRole("alert").getByRole("listitem").filter({ hasText: 'model_list[1].extends: model "base-alias" extends "base"' }).waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await version()).toBe(v);
    expect((await ask("base-alias")).status).toBe(200);

    await row(page, "served-copy").getByRole("button", { name: "Delete served-copy" }).click();
    const plain = page.getByRole("alertdialog", { name: "Delete model served-copy" });
    await plain.getByText("Nothing else in the config names served-copy.").waitFor();
    await plain.getByRole("button", { name: "Yes, delete served-copy" }).click();
    await savedAs(page, "Deleted model served-copy", v + 1);
    await row(page, "served-copy").waitFor({ state: "detached" });
    expect((await ask("served-copy")).status).toBe(404);
    onlyRefusals(dash.takeErrors(), [409]);
  });
});
