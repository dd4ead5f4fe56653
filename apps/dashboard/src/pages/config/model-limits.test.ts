// A key's model_limits as the Keys page edits them: read from the entry in its order, sent back
// without empty rows, removed when no row is left, and a mistyped limit kept for the server to refuse.

import { describe, expect, it } from "vitest";
import { modelLimitRows, modelLimitSummary, modelLimitsBody } from "./model-limits";

describe("model_limits on the Keys page", () => {
  it("reads the entry's model_limits as rows, in the file's order", () => {
    const rows = modelLimitRows({ key_id: "a", model_limits: { zeta: { tpm_limit: 5000 }, alpha: { rpm_limit: 2, tpm_limit: 100 } } });
    expect(rows).toEqual([
      { model: "zeta", rpm: "", tpm: "5000" },
      { model: "alpha", rpm: "2", tpm: "100" },
    ]);
    expect(modelLimitRows({ key_id: "a" })).toEqual([]);
    expect(modelLimitRows(undefined)).toEqual([]);
  });

  it("writes rows back, leaving out a row without a model or a limit", () => {
    const body = modelLimitsBody([
      { model: " gpt ", rpm: "3", tpm: "" },
      { model: "", rpm: "9", tpm: "9" },
      { model: "local", rpm: "", tpm: " " },
      { model: "big", rpm: "1", tpm: "2000" },
    ]);
    expect(body).toEqual({ gpt: { rpm_limit: 3 }, big: { rpm_limit: 1, tpm_limit: 2000 } });
    expect(modelLimitsBody([{ model: "gpt", rpm: "", tpm: "" }])).toBeNull();
    expect(modelLimitsBody([])).toBeNull();
  });

  it("sends a limit that is not a number as typed, so the server names it instead of it vanishing", () => {
    expect(modelLimitsBody([{ model: "gpt", rpm: "ten", tpm: "" }])).toEqual({ gpt: { rpm_limit: "ten" } });
  });

  it("sums a row up for the keys table", () => {
    expect(modelLimitSummary({ model: "gpt", rpm: "10", tpm: "50000" })).toBe("gpt: 10 rpm, 50,000 tpm");
    expect(modelLimitSummary({ model: "gpt", rpm: "", tpm: "7" })).toBe("gpt: 7 tpm");
  });
});
