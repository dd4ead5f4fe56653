// A key's per-model rate limits (`model_limits`) in its limits form: a row per model, added and
// removed here; empty cells mean no such limit.

import type { ModelLimitRow } from "./model-limits";

function LimitCell({ label, value, onChange }: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <td>
      <input aria-label={label} inputMode="numeric" value={value} placeholder="none" onChange={(e) => onChange(e.target.value)} />
    </td>
  );
}

export function ModelLimitsFields({ rows, onChange }: { rows: ModelLimitRow[]; onChange: (rows: ModelLimitRow[]) => void }) {
  const set = (i: number, patch: Partial<ModelLimitRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="field" role="group" aria-label="Per-model limits">
      <span>Per-model limits (model_limits)</span>
      {rows.length > 0 ? (
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Requests per minute</th>
              <th scope="col">Tokens per minute</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              // Index keys: a row's model name is what is being typed.
              <tr key={i}>
                <td>
                  <input aria-label={`Model ${i + 1}`} value={r.model} placeholder="model_name" onChange={(e) => set(i, { model: e.target.value })} />
                </td>
                <LimitCell label={`Requests per minute of model ${i + 1}`} value={r.rpm} onChange={(rpm) => set(i, { rpm })} />
                <LimitCell label={`Tokens per minute of model ${i + 1}`} value={r.tpm} onChange={(tpm) => set(i, { tpm })} />
                <td>
                  <button type="button" className="btn" aria-label={`Remove model ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p>
        <button type="button" className="btn" onClick={() => onChange([...rows, { model: "", rpm: "", tpm: "" }])}>
          Add a model limit
        </button>
      </p>
    </div>
  );
}
