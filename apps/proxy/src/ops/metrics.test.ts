import { describe, expect, it } from "vitest";
import { Metrics } from "./metrics.js";
import { Trace } from "./trace.js";

function finished(model: string, status: number, tokens: { prompt: number; completion: number }): Trace {
  const t = new Trace(`id-${Math.random()}`, model, null, "chat", false, "off", { maxBodyBytes: 1000, maxEvents: 10 });
  t.backend = model;
  t.clientChunk(Buffer.from("x"));
  t.promptTokens = tokens.prompt;
  t.completionTokens = tokens.completion;
  t.finish(status);
  return t;
}

describe("Metrics", () => {
  it("counts every finished request exactly, across batch folds and scrapes", async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 300; i++) metrics.observe(finished("m", 200, { prompt: 2, completion: 3 }), "m");
    for (let i = 0; i < 5; i++) metrics.observe(finished("m", 429, { prompt: 0, completion: 0 }), "m");
    let text = await metrics.text();
    expect(text).toContain('yallmp_requests_total{model="m",backend="m",client_format="chat",status="200"} 300');
    expect(text).toContain('yallmp_request_errors_total{model="m",backend="m",client_format="chat",status="429"} 5');
    expect(text).not.toMatch(/yallmp_request_errors_total\{[^}]*status="200"\}/);
    expect(text).toContain('yallmp_request_duration_seconds_count{model="m",backend="m",client_format="chat"} 305');
    expect(text).toContain('yallmp_time_to_first_token_seconds_count{model="m",backend="m",client_format="chat"} 305');
    expect(text).toContain('yallmp_tokens_total{model="m",type="prompt"} 600');
    expect(text).toContain('yallmp_tokens_total{model="m",type="completion"} 900');
    metrics.observe(finished("m", 200, { prompt: 1, completion: 1 }), "m");
    text = await metrics.text();
    expect(text).toContain('yallmp_requests_total{model="m",backend="m",client_format="chat",status="200"} 301');
    expect(text).toContain('yallmp_tokens_total{model="m",type="prompt"} 601');
  });

  it("reports the requests in flight at scrape time", async () => {
    let running = 3;
    const metrics = new Metrics(() => running);
    expect(await metrics.text()).toContain("yallmp_requests_in_flight 3");
    running = 0;
    expect(await metrics.text()).toContain("yallmp_requests_in_flight 0");
  });
});
