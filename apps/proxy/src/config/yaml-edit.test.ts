// Config edits rewrite only what changes: comments, alignment, flow style and blank lines elsewhere
// stay byte for byte.

import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { YamlEditor } from "./yaml-edit.js";

const CONFIG = `# Team config — edited by hand and through the dashboard.

model_list:
  - model_name: fast          # the everyday model
    model_params: { api_type: mock, model: fast-1 }   # flow map, aligned comment

  # The careful one: low temperature.
  - model_name: careful
    model_params:
      api_type:   mock
      parameters:
        temperature: { default: 0.1, allow_override: false }
      note: >-
        folded
        text

router_settings:
  fallbacks:
    - fast: [careful]       # flow list

app_keys:
  enabled: true
  keys:
    - { key_id: first, secret: "\${FIRST_KEY}" }   # flow key
`;

describe("YamlEditor", () => {
  it("inserts a deployment right after its group's entry, the rest as it was", () => {
    const e = new YamlEditor(CONFIG);
    e.insertAfter(["model_list"], 0, { model_name: "fast", extends: "fast", model_info: { id: "b" } });
    const entry = "  - model_name: fast\n    extends: fast\n    model_info:\n      id: b\n";
    expect(e.text).toBe(CONFIG.replace("aligned comment\n", `aligned comment\n${entry}`));
    e.insertAfter(["router_settings", "fallbacks"], 0, { careful: ["fast"] });
    expect(parse(e.text).router_settings.fallbacks).toEqual([{ fast: ["careful"] }, { careful: ["fast"] }]);
  });

  it("adds and removes a model and a key, leaving every other byte as it was", () => {
    const e = new YamlEditor(CONFIG);
    e.append(["model_list"], { model_name: "added", extends: "fast" });
    expect(e.text).toBe(CONFIG.replace("        text\n", "        text\n\n  - model_name: added\n    extends: fast\n"));
    e.append(["app_keys", "keys"], { key_id: "second", secret: "${SECOND_KEY}" });
    expect(e.text).toContain(`    - { key_id: first, secret: "\${FIRST_KEY}" }   # flow key\n    - key_id: second\n      secret: \${SECOND_KEY}\n`);
    e.remove(["model_list"], 2);
    e.remove(["app_keys", "keys"], 1);
    expect(e.text).toBe(CONFIG);
  });

  it("removes a model with the comment above it and keeps one blank line", () => {
    const e = new YamlEditor(CONFIG);
    e.remove(["model_list"], 1);
    expect(e.text).toBe(CONFIG.replace(/\n {2}# The careful one[^]*?text\n/, ""));
    e.remove(["model_list"], 0);
    expect(parse(e.text).model_list).toEqual([]);
    expect(e.text).toContain("# Team config — edited by hand and through the dashboard.\n\nmodel_list: []\n\nrouter_settings:");
  });

  it("edits the shipped config, whose model list ends in commented-out entries, line for line", () => {
    const shipped = readFileSync(new URL("../../../../configs/config.yaml", import.meta.url), "utf8");
    const e = new YamlEditor(shipped);
    e.remove(
      ["model_list"],
      (parse(shipped).model_list as Array<{ model_name: string }>).findIndex((m) => m.model_name === "mock-slow"),
    );
    expect(e.text).toBe(shipped.replace(/ {2}# A slow model[^]*?chunk_delay_ms: 50\n\n/, ""));
    e.append(["model_list"], { model_name: "added", extends: "mock" });
    expect(e.text).toContain("        fail_times: 1\n\n  - model_name: added\n    extends: mock\n\n  # Real backends look like this");
    expect(e.text).toContain("supports_reasoning: true          # streams reasoning");
  });

  it("replaces a model in place, rewriting only the fields that changed", () => {
    const e = new YamlEditor(CONFIG);
    e.replace(["model_list"], 0, { model_name: "fast", model_params: { api_type: "mock", model: "fast-2" } });
    expect(e.text).toBe(
      CONFIG.replace(
        "    model_params: { api_type: mock, model: fast-1 }   # flow map, aligned comment\n",
        "    model_params:\n      api_type: mock\n      model: fast-2\n",
      ),
    );
    const careful = new YamlEditor(CONFIG);
    careful.replace(["model_list"], 1, {
      model_name: "careful",
      extends: "fast",
      model_params: { api_type: "openai", parameters: { temperature: { default: 0.1, allow_override: false } }, note: "folded text" },
    });
    expect(careful.text).toBe(
      CONFIG.replace("api_type:   mock", "api_type:   openai").replace("        text\n\nrouter_settings", "        text\n    extends: fast\n\nrouter_settings"),
    );
  });

  it("creates a missing section at the end, and fills a key left empty", () => {
    const e = new YamlEditor("# only models\nmodel_list:\n  - model_name: m   # mine\n    model_params: { api_type: mock }\n");
    e.append(["app_keys", "keys"], { key_id: "k", secret: "${K}" });
    expect(e.text).toBe(
      "# only models\nmodel_list:\n  - model_name: m   # mine\n    model_params: { api_type: mock }\n\napp_keys:\n  keys:\n    - key_id: k\n      secret: ${K}\n",
    );
    const empty = new YamlEditor("app_keys:\n  enabled: true   # on\n  keys:\nmodel_list: []\n");
    empty.append(["app_keys", "keys"], { key_id: "k", secret: "${K}" });
    empty.append(["model_list"], { model_name: "m" });
    expect(empty.text).toBe("app_keys:\n  enabled: true   # on\n  keys:\n    - key_id: k\n      secret: ${K}\nmodel_list: [ { model_name: m } ]\n");
  });
});

describe("YamlEditor.set", () => {
  it("rewrites a scalar in place and adds a missing one to its mapping, comments kept", () => {
    const text = "# keys\napp_keys:\n  enabled: false   # off for now\n  keys: []\n";
    const e = new YamlEditor(text);
    e.set(["app_keys", "enabled"], true);
    e.set(["app_keys", "header_name"], "x-team-key");
    expect(e.text).toBe("# keys\napp_keys:\n  enabled: true   # off for now\n  keys: []\n  header_name: x-team-key\n");
    const none = new YamlEditor("model_list: []\n");
    none.set(["app_keys", "enabled"], true);
    expect(none.text).toBe("model_list: []\n\napp_keys:\n  enabled: true\n");
  });
});
