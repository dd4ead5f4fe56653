// Browser tests of the dashboard: builds apps/dashboard once (reusing a fresh dist), launches
// Debian's Chromium through playwright-core, signs in, collects console errors and saves the
// screenshots the README shows.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { sleep } from "./harness.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const DASHBOARD = join(ROOT, "apps/dashboard");
const DIST_INDEX = join(DASHBOARD, "dist/index.html");
const LOCK = join(DASHBOARD, ".build-lock");
const SCREENSHOTS = join(ROOT, "docs/screenshots");

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function distIsFresh(): boolean {
  if (!existsSync(DIST_INDEX)) return false;
  const built = statSync(DIST_INDEX).mtimeMs;
  const sources = ["src", "index.html", "vite.config.ts", "package.json"].map((p) => join(DASHBOARD, p)).filter(existsSync);
  return Math.max(...sources.map(newestMtime)) <= built;
}

/** Builds the dashboard unless dist is newer than every source; test files share one build. */
export async function ensureDashboardBuilt(): Promise<void> {
  for (let waited = 0; ; waited += 200) {
    if (distIsFresh()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another test file is building; a lock older than two minutes was left by a dead run.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (waited > 120_000) throw new Error("timed out waiting for another dashboard build");
      await sleep(200);
      continue;
    }
    try {
      if (distIsFresh()) return;
      const vite = join(DASHBOARD, "node_modules/vite/bin/vite.js");
      const run = spawnSync(process.execPath, [existsSync(vite) ? vite : join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "error"], {
        cwd: DASHBOARD,
        encoding: "utf8",
      });
      if (run.status !== 0) throw new Error(`dashboard build failed:\n${run.stdout}\n${run.stderr}`);
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export interface DashboardPage {
  context: BrowserContext;
  page: Page;
  /** Console errors (with the URL of a failed load) and uncaught exceptions since the last `takeErrors`. */
  takeErrors(): string[];
}

/** A fresh browser context (its own cookies) at 1280 px wide, recording console errors. */
export async function openDashboardPage(browser: Browser, proxyUrl: string): Promise<DashboardPage> {
  const context = await browser.newContext({ baseURL: proxyUrl, viewport: { width: 1280, height: 860 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: proxyUrl });
  // Fail a step well before the test's own 30 s limit, with the locator in the message.
  context.setDefaultTimeout(8_000);
  const page = await context.newPage();
  let errors: string[] = [];
  page.on("console", (m) => {
    // Chromium reports every non-2xx answer as "Failed to load resource"; the URL says which one.
    if (m.type() === "error") errors.push(m.location().url ? `${m.text()} [${new URL(m.location().url).pathname}]` : m.text());
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  return {
    context,
    page,
    takeErrors: () => {
      const out = errors;
      errors = [];
      return out;
    },
  };
}

export async function signIn(page: Page, password: string, path = "/dashboard/"): Promise<void> {
  await page.goto(path);
  await page.getByLabel("Admin password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Sections", exact: true }).waitFor();
}

/** Saves docs/screenshots/<name>.png of the whole page. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Let charts, fonts and the editor settle.
  await page.waitForLoadState("networkidle").catch(() => undefined);
  // A full-page capture of a scrolled page would paint the sticky top bar mid-page.
  await page.evaluate("window.scrollTo(0, 0)");
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: "disabled", caret: "hide" });
}

/** Admin REST calls from the test itself (Bearer credential). */
export function adminClient(proxyUrl: string, password: string) {
  const headers = { authorization: `Bearer ${password}`, "content-type": "application/json" };
  return {
    get: async <T>(path: string): Promise<T> => {
      const res = await fetch(`${proxyUrl}${path}`, { headers });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
  };
}
