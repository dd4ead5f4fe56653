import { describe, expect, it } from "vitest";
import { gigachatFunctionSchema } from "./function-schema.js";

describe("gigachatFunctionSchema", () => {
  it("inlines $defs and reduces nullable unions", () => {
    const schema = {
      type: "object",
      $defs: { Unit: { type: "string", enum: ["c", "f"] } },
      properties: {
        unit: { $ref: "#/$defs/Unit", description: "unit" },
        city: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "City" },
        days: { type: ["integer", "null"], default: null },
      },
    };
    expect(gigachatFunctionSchema(schema)).toEqual({
      type: "object",
      properties: {
        unit: { type: "string", enum: ["c", "f"], description: "unit" },
        city: { type: "string", title: "City" },
        days: { type: "integer" },
      },
    });
  });

  it("stops a recursive $ref instead of expanding it forever", () => {
    const schema = { $defs: { Node: { type: "object", properties: { a: { $ref: "#/$defs/Node" }, b: { $ref: "#/$defs/Node" } } } }, $ref: "#/$defs/Node" };
    const out = JSON.stringify(gigachatFunctionSchema(schema));
    expect(out.length).toBeLessThan(2_000_000);
  });
});
