// One key's rate limits, budget and per-model limits as a form: an empty field removes that limit.

import { useState } from "react";
import type { KeyUpdate } from "@yallmproxy/api";
import type { KeyInfo } from "../../api/types";
import { type ModelLimitRow, modelLimitsBody } from "./model-limits";
import { ModelLimitsFields } from "./ModelLimitsFields";

const text = (n: number | string | null) => (n === null ? "" : String(n));

/**
 * Empty removes the limit; a number is sent as one; anything else goes as typed, so the server
 * refuses it by its field's name (`Number` would make it NaN, which JSON sends as null: removed).
 */
function limitOrNull(value: string): number | null {
  const v = value.trim();
  if (v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : (v as unknown as number);
}

export function KeyLimitsForm({
  keyInfo,
  modelLimits,
  busy,
  onSave,
  onCancel,
}: {
  keyInfo: KeyInfo;
  modelLimits: ModelLimitRow[];
  busy: boolean;
  onSave: (body: KeyUpdate) => void;
  onCancel: () => void;
}) {
  const [rpm, setRpm] = useState(text(keyInfo.rpmLimit));
  const [tpm, setTpm] = useState(text(keyInfo.tpmLimit));
  const [budget, setBudget] = useState(text(keyInfo.maxBudget));
  const [duration, setDuration] = useState(text(keyInfo.budgetDuration));
  const [models, setModels] = useState(modelLimits);
  const field = (label: string, value: string, set: (v: string) => void, opts: { numeric?: boolean; placeholder?: string } = {}) => (
    <label className="field">
      <span>{label}</span>
      <input
        value={value}
        inputMode={opts.numeric === false ? "text" : "decimal"}
        placeholder={opts.placeholder ?? "none"}
        onChange={(e) => set(e.target.value)}
      />
    </label>
  );
  return (
    <form
      className="card"
      aria-label={`Limits of ${keyInfo.keyId}`}
      onSubmit={(e) => {
        e.preventDefault();
        const d = duration.trim();
        const perModel = modelLimitsBody(models);
        // Sent only when changed, so a save of the other fields leaves the entry's model_limits as written.
        const modelsChanged = JSON.stringify(perModel) !== JSON.stringify(modelLimitsBody(modelLimits));
        onSave({
          rpm_limit: limitOrNull(rpm),
          tpm_limit: limitOrNull(tpm),
          max_budget: limitOrNull(budget),
          budget_duration: d === "" ? null : d,
          ...(modelsChanged ? { model_limits: perModel } : {}),
        });
      }}
    >
      <p className="state-title">
        Limits of <span className="mono">{keyInfo.keyId}</span>
      </p>
      {field("Requests per minute (rpm_limit)", rpm, setRpm)}
      {field("Tokens per minute (tpm_limit)", tpm, setTpm)}
      {field("Budget in USD (max_budget)", budget, setBudget)}
      {field("Budget period (budget_duration)", duration, setDuration, { numeric: false, placeholder: "e.g. 1d or 30d" })}
      <ModelLimitsFields rows={models} onChange={setModels} />
      <p>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Save limits
        </button>{" "}
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </p>
    </form>
  );
}
