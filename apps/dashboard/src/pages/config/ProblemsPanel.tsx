// The side panel beside the editor: validation problems (each jumps to its line), warnings, and
// the models the draft defines.

import type { ValidationResult } from "../../api/types";

export type ValidationState =
  { kind: "unchanged" } | { kind: "validating" } | { kind: "result"; result: ValidationResult } | { kind: "failed"; message: string };

export function ProblemsPanel({ state, onJump }: { state: ValidationState; onJump: (line: number) => void }) {
  return (
    <aside className="card side-panel" aria-label="Validation">
      <h2>Validation</h2>
      {state.kind === "unchanged" ? <p className="muted">This is the running config.</p> : null}
      {state.kind === "validating" ? (
        <p className="muted" role="status">
          Checking…
        </p>
      ) : null}
      {state.kind === "failed" ? (
        <p className="form-error" role="alert">
          Could not validate: {state.message}
        </p>
      ) : null}
      {state.kind === "result" && state.result.valid ? (
        <>
          <p className="text-ok strong" role="status">
            Valid — ready to apply
          </p>
          {state.result.warnings.length > 0 ? (
            <>
              <h3>Warnings</h3>
              <ul className="problem-list">
                {state.result.warnings.map((w, i) => (
                  <li key={i} className="problem problem-warn">
                    {w}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {state.result.models.length > 0 ? (
            <>
              <h3>Models</h3>
              <p className="chips">
                {state.result.models.map((m) => (
                  <span key={m} className="chip">
                    {m}
                  </span>
                ))}
              </p>
            </>
          ) : null}
        </>
      ) : null}
      {state.kind === "result" && !state.result.valid ? (
        <>
          <p className="text-error strong" role="status">
            {state.result.errors.length || 1} problem{state.result.errors.length === 1 ? "" : "s"} — nothing will be applied
          </p>
          <ul className="problem-list" aria-label="Problems">
            {state.result.errors.length === 0 ? <li className="problem">{state.result.message}</li> : null}
            {state.result.errors.map((p, i) => (
              <li key={i} className="problem">
                {typeof p.line === "number" ? (
                  <button type="button" className="link-button mono" onClick={() => onJump(p.line as number)}>
                    line {p.line}
                  </button>
                ) : null}
                {p.path ? <span className="mono problem-path">{p.path}</span> : null}
                <span>{p.message}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </aside>
  );
}
