// Copies a model under a new name: the copy has every field of the original and is not protected.

import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/api-error";
import { errorMessage } from "../../lib/format";
import "./model-forms.css";

export interface ModelCopyDialogProps {
  source: string;
  saving: boolean;
  error: unknown;
  onCopy: (target: string) => void;
  onCancel: () => void;
}

export function ModelCopyDialog({ source, saving, error, onCopy, onCancel }: ModelCopyDialogProps) {
  const [target, setTarget] = useState(`${source}-copy`);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (target.trim()) onCopy(target.trim());
  };
  const invalid = error instanceof ApiError && (error.code === "model_exists" || error.problems.length > 0);
  return (
    <form className="card model-form" aria-label={`Copy model ${source}`} onSubmit={submit}>
      <div className="section-head">
        <h2>Copy model {source}</h2>
      </div>
      <div className={`model-field${invalid ? " invalid" : ""}`} data-field="target">
        <label htmlFor="model-copy-target">New model name</label>
        <input
          id="model-copy-target"
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          maxLength={200}
          autoFocus
          aria-invalid={invalid}
          aria-describedby={error ? "model-copy-error" : undefined}
        />
        {error ? (
          <span className="field-error" id="model-copy-error" role="alert">
            {errorMessage(error)}
          </span>
        ) : null}
      </div>
      <div className="toolbar">
        <button type="submit" className="btn btn-primary" disabled={saving || !target.trim()}>
          {saving ? "Copying…" : "Copy"}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
