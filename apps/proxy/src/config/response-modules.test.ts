// Which response modules each route runs: global and per-model sections, legacy keys, templates
// read beside the config, and warnings for what cannot be applied.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "./load-config.js";

function load(yaml: string, configPath = "/t/config.yaml") {
  return parseConfigText(yaml, configPath, {}, {});
}
const names = (cfg: ReturnType<typeof load>["config"], model: string) => cfg.models.get(model)?.responseModules?.modules.map((m) => m.name);

describe("response modules in config", () => {
  it("the global section serves models without their own; a model's own replaces it; enabled: false turns it off", () => {
    const { config, warnings } = load(`
model_list:
  - model_name: plain
    model_params: { api_base: http://a.invalid/v1 }
  - model_name: own
    model_params: { api_base: http://a.invalid/v1 }
    modules: { upstream: { response: [swap_reasoning] } }
  - model_name: off
    model_params: { api_base: http://a.invalid/v1 }
    modules: { upstream: { enabled: false, response: [parse_tags] } }
  - model_name: legacy
    model_params: { api_base: http://a.invalid/v1 }
    parsers: { response: [parse_unparsed] }
proxy_settings:
  modules:
    upstream: { enabled: true, response: [parse_tags, swap_reasoning_content], paths: [/chat/completions] }
`);
    expect(warnings).toEqual([]);
    expect(names(config, "plain")).toEqual(["parse_tags", "swap_reasoning_content"]);
    expect(names(config, "own")).toEqual(["swap_reasoning_content"]);
    expect(names(config, "off")).toBeUndefined();
    expect(names(config, "legacy")).toEqual(["parse_tags"]);
  });

  it("a global section not enabled runs nowhere", () => {
    const { config } = load(`
model_list:
  - model_name: plain
    model_params: { api_base: http://a.invalid/v1 }
proxy_settings: { parsers: { response: [parse_tags] } }
`);
    expect(names(config, "plain")).toBeUndefined();
  });

  it("a template next to the config is read; a missing one, an unknown module and other paths are warnings", () => {
    const dir = mkdtempSync(join(tmpdir(), "yallmp-tpl-"));
    writeFileSync(join(dir, "k2.jinja"), "<|tool_call_begin|>x<|tool_call_argument_begin|>{}<|tool_call_end|>");
    const { config, warnings } = load(
      `
model_list:
  - model_name: k2
    model_params: { api_base: http://a.invalid/v1 }
    modules: { upstream: { response: [parse_tags, shout], parse_tags: { template_path: k2.jinja } } }
  - model_name: lost
    model_params: { api_base: http://a.invalid/v1 }
    modules: { upstream: { response: [parse_tags], parse_tags: { template_path: nowhere.jinja } } }
  - model_name: claude
    model_params: { api_type: anthropic, api_base: https://api.anthropic.invalid/v1 }
    modules: { upstream: { response: [parse_tags] } }
proxy_settings:
  modules: { downstream: { enabled: true } }
`,
      join(dir, "config.yaml"),
    );
    expect(config.models.get("k2")?.responseModules?.effective.parse_tags).toMatchObject({ toolOpen: "<|tool_call_begin|>", toolArgFormat: "json" });
    expect(names(config, "lost")).toEqual(["parse_tags"]);
    expect(names(config, "claude")).toBeUndefined();
    expect(warnings).toEqual([
      "proxy_settings.modules.downstream: request modules are not implemented, ignored",
      "model_list[0] (k2): modules: response module 'shout' is unknown; skipped",
      "model_list[1] (lost): modules: parse_tags.template_path nowhere.jinja: not found; using the defaults",
      "model_list[2] (claude): modules: paths /chat/completions do not cover this backend's /messages; not applied",
    ]);
  });
});
