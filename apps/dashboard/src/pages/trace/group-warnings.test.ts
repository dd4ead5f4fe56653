import { describe, expect, it } from "vitest";
import { parseWarnings } from "../../api/parse-trace-detail";
import { groupWarnings } from "./group-warnings";

describe("trace warnings", () => {
  it("groups warnings by code, the largest group first, keeping their order", () => {
    const groups = groupWarnings([
      { code: "field_dropped", path: "top_k", message: "dropped" },
      { code: "content_dropped", path: "messages[0].content[1]", message: "audio dropped" },
      { code: "content_dropped", path: "messages[2].content[0]", message: "image dropped" },
    ]);
    expect(groups.map((g) => [g.code, g.warnings.map((w) => w.path)])).toEqual([
      ["content_dropped", ["messages[0].content[1]", "messages[2].content[0]"]],
      ["field_dropped", ["top_k"]],
    ]);
  });

  it("reads structured warnings and the `path: message` text of older traces", () => {
    expect(parseWarnings([{ code: "value_adjusted", path: "temperature", message: "clamped" }, "tools[0]: hosted tool dropped", 7])).toEqual([
      { code: "value_adjusted", path: "temperature", message: "clamped" },
      { code: "uncoded", path: "tools[0]", message: "hosted tool dropped" },
      { code: "uncoded", path: "", message: "7" },
    ]);
    expect(parseWarnings(undefined)).toEqual([]);
  });
});
