// The dashboard's stored responses in Chromium: a chain made through /v1/responses (a tool call, its
// result, reasoning) is found by its text, shown as a conversation, and replayed against another
// model with both answers side by side.

import OpenAI from "openai";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardPage, adminClient, ensureDashboardBuilt, launchChromium, openDashboardPage, screenshot, signIn } from "../lib/dashboard.js";
import { type RunningProxy, startProxy } from "../lib/harness.js";

const PASSWORD = "dashboard-responses-pw";
const KEY = "sk-team-a-responses";
const CONFIG = `
model_list:
  - model_name: mock
    model_params:
      api_type: mock
      model: mock-1
      supports_reasoning: true
  - model_name: mock-other
    extends: mock
    model_params:
      mock: { reply: "A second opinion from another model." }
proxy_settings:
  traces: { capture: metadata }
app_keys:
  enabled: true
  keys:
    - { key_id: team-a, secret: ${KEY} }
`;

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

let p: RunningProxy;
let browser: Browser;
let dash: DashboardPage;
let turn1: OpenAI.Responses.Response;
let turn2: OpenAI.Responses.Response;

beforeAll(async () => {
  await ensureDashboardBuilt();
  p = await startProxy(CONFIG, { YALLMP_ADMIN_PASSWORD: PASSWORD });
  // The chain, made the way a client makes it: the model calls a tool, the client answers it.
  const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: KEY, maxRetries: 0 });
  turn1 = await client.responses.create({
    model: "mock",
    instructions: "You are a weather bot.",
    input: "What is the weather in Paris?",
    tools: [weatherTool],
  });
  const call = turn1.output.find((o) => o.type === "function_call");
  if (call?.type !== "function_call") throw new Error("the mock did not call the tool");
  turn2 = await client.responses.create({
    model: "mock",
    previous_response_id: turn1.id,
    instructions: "You are a weather bot.",
    input: [{ type: "function_call_output", call_id: call.call_id, output: '{"sky":"sunny","temp_c":21}' }],
    tools: [weatherTool],
    reasoning: { effort: "low" },
  });
  browser = await launchChromium();
  dash = await openDashboardPage(browser, p.url);
  await signIn(dash.page, PASSWORD, "/dashboard/responses");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
});

describe("dashboard: stored responses", { retry: 1 }, () => {
  it("finds the chain by its text and shows it as a conversation with the tool call and reasoning", async () => {
    const { page } = dash;
    await page.getByRole("navigation", { name: "Sections", exact: true }).getByRole("link", { name: "Responses" }).click();
    const results = page.getByRole("table", { name: "Stored responses" });
    await results.getByRole("row").nth(2).waitFor();
    await page.getByRole("searchbox").fill("sunny");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/[?&]q=sunny\b/);
    // Only the turn that mentions "sunny" (its tool result) is left: a header and one row.
    await results.getByRole("row").nth(2).waitFor({ state: "detached" });
    await results.getByRole("link", { name: turn2.id, exact: true }).waitFor();
    await expect(results.getByRole("row").count()).resolves.toBe(2);
    await screenshot(page, "responses");

    await results.getByRole("link", { name: turn2.id, exact: true }).click();
    const chain = page.getByRole("region", { name: /^Chain/ });
    const turns = chain.getByRole("listitem").filter({ hasText: /^Turn \d/ });
    await turns.nth(1).waitFor();
    await expect(turns.count()).resolves.toBe(2);
    await turns.nth(0).getByText("What is the weather in Paris?", { exact: true }).waitFor();
    await turns.nth(0).getByText("You are a weather bot.").waitFor();
    await turns.nth(0).getByText("get_weather", { exact: true }).waitFor();
    await turns.nth(0).getByText("tool call", { exact: true }).waitFor();
    await turns
      .nth(0)
      .getByText(/"city": "What is the weather in Paris\?"/)
      .waitFor();
    await turns.nth(1).getByText("tool result", { exact: true }).waitFor();
    await turns.nth(1).getByText("Reasoning", { exact: true }).waitFor();
    // The chat backend's reasoning is stored as a summary and as content: shown once.
    const reasoning = turn2.output.find((o) => o.type === "reasoning");
    expect(reasoning?.type === "reasoning" && reasoning.summary[0]?.text).toMatch(/^Thinking about: /);
    expect(await turns.nth(1).locator(".reasoning-text").textContent()).toBe(reasoning?.type === "reasoning" ? reasoning.summary[0]?.text : "");
    await turns
      .nth(1)
      .getByText(/^Tool result: /)
      .first()
      .waitFor();
    expect(await turns.nth(1).getAttribute("aria-current")).toBe("true");
    expect(dash.takeErrors()).toEqual([]);
  });

  it("replays the whole chain against another model and shows both answers side by side", async () => {
    const { page } = dash;
    await page.getByLabel("Model").selectOption("mock-other");
    await page.getByRole("radio", { name: /Whole chain \(2 turns\)/ }).check();
    await page.getByRole("button", { name: "Replay" }).click();

    const replayed = page.getByRole("region", { name: "Replayed answer" });
    await replayed.getByText("A second opinion from another model.", { exact: true }).waitFor();
    await replayed.getByText(/Replay finished in/).waitFor();
    await page
      .getByRole("region", { name: "Original answer" })
      .getByText(/^Tool result: /)
      .first()
      .waitFor();
    await screenshot(page, "conversation");

    // The replay was stored as a new response pointing at the original.
    const replayId = await replayed.getByRole("link").textContent();
    expect(replayId).toMatch(/^resp_/);
    const stored = await adminClient(p.url, PASSWORD).get<{ response: { model: string; metadata: Record<string, string> }; chain: unknown[] }>(
      `/admin/responses/${replayId}`,
    );
    expect(stored.response.model).toBe("mock-other");
    expect(stored.response.metadata.replay_of).toBe(turn2.id);
    expect(stored.chain).toHaveLength(2);

    // And it opens like any stored response.
    await replayed.getByRole("link").click();
    await page
      .getByRole("region", { name: /^Chain/ })
      .getByText(`replay of ${turn2.id}`)
      .waitFor();
    expect(dash.takeErrors()).toEqual([]);
  });
});
