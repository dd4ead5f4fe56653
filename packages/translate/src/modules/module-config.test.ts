// Reading module sections: aliases, enabled defaults, coercions, unknown names, template detection.

import { describe, expect, it } from "vitest";
import { responseModulesOf } from "./module-config.js";
import { inspectTemplate } from "./template-analysis.js";
import { templates } from "../shared/testing/modules-harness.js";

const none = templates({});

describe("responseModulesOf", () => {
  it("a per-model section is on unless it says enabled: false; the global one is off unless it says true", () => {
    const section = { upstream: { response: ["parse_unparsed"] } };
    expect(responseModulesOf(section, true, none)?.modules.map((m) => m.name)).toEqual(["parse_tags"]);
    expect(responseModulesOf(section, false, none)).toBeUndefined();
    expect(responseModulesOf({ enabled: "true", upstream: { response: ["parse_tags"] } }, false, none)?.modules).toHaveLength(1);
    expect(responseModulesOf({ upstream: { enabled: false, response: ["parse_tags"] } }, true, none)).toBeUndefined();
  });

  it("the legacy flat form, paths defaulting to /chat/completions", () => {
    const setup = responseModulesOf({ response: ["parse_template", "swap_reasoning"], paths: "/chat/completions" }, true, none);
    expect(setup?.modules.map((m) => m.name)).toEqual(["parse_tags", "swap_reasoning_content"]);
    expect(setup?.paths).toEqual(["/chat/completions"]);
  });

  it("coerces yaLLMproxy's strings and names every problem", () => {
    const setup = responseModulesOf(
      {
        response: ["parse_tags", "nope"],
        parse_tags: { tool_buffer_limit: "200", stream_tool_calls: "yes", tool_arg_format: "yaml", template_path: "missing.jinja" },
      },
      true,
      none,
    );
    expect(setup?.effective.parse_tags).toMatchObject({ toolBufferLimit: 200, streamToolCalls: true, toolArgFormat: "xml" });
    expect(setup?.problems).toEqual([
      "parse_tags.template_path missing.jinja: no such file missing.jinja; using the defaults",
      "parse_tags.tool_arg_format 'yaml' is unknown; using xml",
      "response module 'nope' is unknown; skipped",
    ]);
  });

  it("explicit settings win over what the template says", () => {
    const read = templates({ "t.jinja": "<|tool_call_begin|>x<|tool_call_argument_begin|>{}<|tool_call_end|> <think></think>" });
    const setup = responseModulesOf({ response: ["parse_tags"], parse_tags: { template_path: "t.jinja", think_tag: "reasoning", drop_tags: [] } }, true, read);
    expect(setup?.effective.parse_tags).toMatchObject({ thinkOpen: "<reasoning>", toolOpen: "<|tool_call_begin|>", toolArgFormat: "json", dropTags: [] });
  });
});

describe("inspectTemplate", () => {
  it("GLM-style: <think> and <tool_call> with arg_key", () => {
    const t = inspectTemplate("{{ '<think>' + reasoning_content.strip() + '</think>' }}{{- '<tool_call>' + tc.name -}}<arg_key>k</arg_key></tool_call>");
    expect(t).toMatchObject({ thinkTag: "think", toolFormat: "xml", toolTag: "tool_call", thinkOpen: { prefix: "", suffix: "" }, includeNewline: false });
  });

  it("a custom think tag from the expression that renders reasoning_content", () => {
    expect(inspectTemplate("{{ '<scratch>' + reasoning_content + '</scratch>' }}<b>x</b><b>y</b>").thinkTag).toBe("scratch");
  });

  it("Qwen-style wrapping: newlines inside the tags and before the content", () => {
    const t = inspectTemplate("{{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content + '\\n</think>\\n\\n' + content }}");
    expect(t).toMatchObject({
      thinkTag: "think",
      thinkOpen: { prefix: "\n", suffix: "\n" },
      thinkClose: { prefix: "\n", suffix: "\n\n" },
      includeNewline: true,
    });
  });

  it("nothing to find", () => {
    expect(inspectTemplate("{{ messages }}")).toMatchObject({ thinkTag: undefined, toolFormat: undefined });
  });
});
