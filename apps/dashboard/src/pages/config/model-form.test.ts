// A model form's values from an entry and back: fields the form does not show survive an edit, a
// masked secret is sent back as it was, and the server's problems land at their fields.

import { describe, expect, it } from "vitest";
import { emptyForm, entryFromForm, formFromEntry, problemsByField } from "./model-form";

const ENTRY = {
  model_name: "gpt",
  protected: false,
  model_params: {
    api_type: "openai",
    api_base: "https://api.example/v1",
    model: "gpt-4.1",
    api_key: "***",
    headers: { "x-team": "***" },
    request_timeout: 120,
    parameters: { temperature: { default: 0.2, allow_override: false } },
  },
  access_control: { allowed_keys: ["team-a"] },
};

describe("model form", () => {
  it("edits an entry keeping what the form does not show, the masked key as it came", () => {
    const values = formFromEntry(ENTRY);
    expect(values).toMatchObject({ api_key: "***", request_timeout: "120", extends: "" });
    const { entry } = entryFromForm({ ...values, model: "gpt-5", request_timeout: "" }, ENTRY);
    expect(entry).toEqual({
      model_name: "gpt",
      protected: false,
      access_control: { allowed_keys: ["team-a"] },
      model_params: {
        api_type: "openai",
        api_base: "https://api.example/v1",
        model: "gpt-5",
        api_key: "***",
        headers: { "x-team": "***" },
        parameters: { temperature: { default: 0.2, allow_override: false } },
      },
    });
  });

  it("adds an alias with no model_params of its own, and reads top-level parameters into the form", () => {
    expect(entryFromForm({ ...emptyForm(), model_name: " alias ", extends: "gpt", api_type: "" }).entry).toEqual({ model_name: "alias", extends: "gpt" });
    const values = formFromEntry({ model_name: "a", extends: "gpt", parameters: { top_p: 0.5 } });
    expect(JSON.parse(values.parameters)).toEqual({ top_p: 0.5 });
    expect(entryFromForm(values, { model_name: "a", extends: "gpt", parameters: { top_p: 0.5 } }).entry).toEqual({
      model_name: "a",
      extends: "gpt",
      model_params: { parameters: { top_p: 0.5 } },
    });
  });

  it("refuses what it can check itself: no name, parameters that are not a JSON object, a timeout that is not a number", () => {
    expect(entryFromForm({ ...emptyForm(), parameters: "[1]", request_timeout: "soon" }).problems).toEqual({
      model_name: expect.any(String),
      parameters: expect.stringContaining("JSON object"),
      request_timeout: expect.any(String),
    });
    expect(entryFromForm({ ...emptyForm(), model_name: "x", parameters: "{" }).problems?.parameters).toMatch(/^Not JSON/);
  });

  it("puts the server's problems at their fields, the rest aside", () => {
    const { fields, other } = problemsByField([
      { path: "model_list[3].model_params.api_base", field: "model_params.api_base", message: "not an http(s) URL" },
      { path: "model_list[3].model_params.parameters.t", field: "model_params.parameters.t", message: "bad" },
      { path: "model_list[3].extends", field: "extends", message: "missing parent" },
      { path: "model_list[3].model_params.mock.reply", field: "model_params.mock.reply", message: "not a string" },
      { path: "model_list[4].model_params.api_base", message: "the child's" },
    ]);
    expect(fields).toEqual({ api_base: ["not an http(s) URL"], parameters: ["bad"], extends: ["missing parent"] });
    expect(other.map((p) => p.message)).toEqual(["not a string", "the child's"]);
  });
});
