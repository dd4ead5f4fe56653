// Confirms a model's delete, saying first what depends on it: the models that extend it and those
// that fall back to it (its own fallbacks go with it). The proxy refuses a delete that would leave any of
// them pointing at nothing; its answer is shown here.

import { ApiError } from "../../api/api-error";
import type { ModelInfo } from "../../api/types";
import { errorMessage } from "../../lib/format";
import { ProblemsNotice } from "./ModelForm";
import "./model-forms.css";

export interface ModelDependents {
  /** Models whose `extends` names it. */
  children: string[];
  /** Models whose fallbacks name it. */
  fallbackOf: string[];
}

function dependentsOf(name: string, models: ModelInfo[]): ModelDependents {
  return {
    children: models.filter((m) => m.extends === name && m.name !== name).map((m) => m.name),
    fallbackOf: models.filter((m) => m.name !== name && m.fallbacks.includes(name)).map((m) => m.name),
  };
}

export interface ModelDeleteDialogProps {
  model: ModelInfo;
  models: ModelInfo[];
  deleting: boolean;
  error: unknown;
  onDelete: () => void;
  onCancel: () => void;
}

export function ModelDeleteDialog({ model, models, deleting, error, onDelete, onCancel }: ModelDeleteDialogProps) {
  const { children, fallbackOf } = dependentsOf(model.name, models);
  const any = children.length > 0 || fallbackOf.length > 0;
  const problems = error instanceof ApiError ? error.problems : [];
  return (
    <section className="card model-form" role="alertdialog" aria-label={`Delete model ${model.name}`} aria-describedby="model-delete-what">
      <div className="section-head">
        <h2>Delete model {model.name}?</h2>
      </div>
      <p id="model-delete-what">
        {any
          ? `These depend on ${model.name}; the proxy refuses the delete while they do — change or delete them first:`
          : `Nothing else in the config names ${model.name}.`}
      </p>
      {any ? (
        <ul className="dependents" aria-label="Dependents">
          {children.map((c) => (
            <li key={`x-${c}`}>
              <span className="strong">{c}</span> extends it
            </li>
          ))}
          {fallbackOf.map((c) => (
            <li key={`f-${c}`}>
              <span className="strong">{c}</span> falls back to it
            </li>
          ))}
        </ul>
      ) : null}
      {model.fallbacks.length > 0 ? <p className="muted small">Its own fallbacks (→ {model.fallbacks.join(" → ")}) are removed with it.</p> : null}
      {error ? <ProblemsNotice message={`Not deleted: ${errorMessage(error)}`} problems={problems} label="Problems" /> : null}
      <div className="toolbar">
        <button type="button" className="btn btn-danger" disabled={deleting} onClick={onDelete}>
          {deleting ? "Deleting…" : `Yes, delete ${model.name}`}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
