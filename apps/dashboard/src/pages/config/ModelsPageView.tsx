// The configured models as their `extends` tree, rendered from props.

import type { ReactNode } from "react";
import type { ModelInfo } from "../../api/types";
import { EmptyState } from "../../components/EmptyState";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import { modelTree } from "./model-tree";

function access(allowed: ModelInfo["allowedKeys"]): string {
  if (allowed === null || allowed === "all") return "all keys";
  if (allowed === "none") return "no keys";
  return allowed.length === 0 ? "no keys" : allowed.join(", ");
}

export interface ModelsPageViewProps {
  models: ModelInfo[] | undefined;
  error: unknown;
  onRetry: () => void;
  /** Each row's buttons (edit, copy, delete). */
  actions?: (model: ModelInfo) => ReactNode;
}

export function ModelsPageView({ models, error, onRetry, actions }: ModelsPageViewProps) {
  if (!models) return error ? <ErrorState title="Could not load the models" error={error} onRetry={onRetry} /> : <LoadingState label="Loading models…" />;
  if (models.length === 0) return <EmptyState title="No models configured">Add one with Add model, or under model_list in the config.</EmptyState>;
  const rows = modelTree(models);
  return (
    <div className="card card-flush">
      <table className="table" aria-label="Models">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Backend type</th>
            <th scope="col">Upstream model</th>
            <th scope="col">API base</th>
            <th scope="col">Fallbacks</th>
            <th scope="col">Access</th>
            {actions ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map(({ model: m, depth }) => (
            <tr key={m.name}>
              <th scope="row" className="tree-cell" style={{ paddingLeft: `${12 + depth * 22}px` }}>
                {depth > 0 ? (
                  <span className="tree-guide" aria-hidden="true">
                    └
                  </span>
                ) : null}
                <span className="strong">{m.name}</span>
                {m.extends ? <span className="muted small"> extends {m.extends}</span> : null}
                {m.protected ? <span className="tag">protected</span> : null}
              </th>
              <td>
                <span className="tag">{m.apiType}</span>
              </td>
              <td className="mono small">{m.upstreamModel ?? "–"}</td>
              <td className="mono small break">{m.apiBase ?? "–"}</td>
              <td className="small">{m.fallbacks && m.fallbacks.length > 0 ? `→ ${m.fallbacks.join(" → ")}` : "–"}</td>
              <td className="small">{access(m.allowedKeys)}</td>
              {actions ? <td>{actions(m)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
