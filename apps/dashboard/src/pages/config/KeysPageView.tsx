// The configured app keys with their limits (never a secret) and what can be done with them:
// create, edit limits, per-model limits and budget, regenerate the secret (shown once), delete. Rendered from props.

import type { KeyUpdate } from "@yallmproxy/api";
import type { KeyInfo } from "../../api/types";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import { SecretOnce } from "../../components/SecretOnce";
import { errorMessage } from "../../lib/format";
import { CreateKeyForm } from "./CreateKeyForm";
import { KeyLimitsForm } from "./KeyLimitsForm";
import { type ModelLimitRow, modelLimitSummary } from "./model-limits";

const limit = (n: number | null) => (n === null ? "–" : n === 0 ? "unlimited" : String(n));

export interface KeyActions {
  busy: boolean;
  error: unknown;
  secret: { title: string; secret: string } | null;
  editing: string | null;
  deleting: string | null;
  onCreate: (body: { key_id?: string; name?: string }) => void;
  onEdit: (keyId: string | null) => void;
  onSaveLimits: (keyId: string, body: KeyUpdate) => void;
  onRegenerate: (keyId: string) => void;
  onAskDelete: (keyId: string | null) => void;
  onDelete: (keyId: string) => void;
  onDismissSecret: () => void;
}

export function KeysPageView({
  keys,
  modelLimits,
  enabled,
  error,
  onRetry,
  actions,
}: {
  keys: KeyInfo[] | undefined;
  /** Each key's `model_limits` as its entry writes them, by key id. */
  modelLimits: ReadonlyMap<string, ModelLimitRow[]>;
  enabled: boolean;
  error: unknown;
  onRetry: () => void;
  actions: KeyActions;
}) {
  if (!keys) return error ? <ErrorState title="Could not load the keys" error={error} onRetry={onRetry} /> : <LoadingState label="Loading keys…" />;
  const editing = keys.find((k) => k.keyId === actions.editing);
  return (
    <>
      {keys.length === 0 ? (
        <p className="notice">
          No API keys configured: requests are not authenticated. Create one here, and set <code>app_keys.enabled: true</code> to require keys.
        </p>
      ) : enabled ? null : (
        <p className="notice notice-warn">
          <code>app_keys.enabled</code> is false: these keys are configured but requests are not checked against them.
        </p>
      )}
      {actions.secret ? <SecretOnce title={actions.secret.title} secret={actions.secret.secret} onDismiss={actions.onDismissSecret} /> : null}
      {actions.error ? (
        <p className="notice notice-error" role="alert">
          {errorMessage(actions.error)}
        </p>
      ) : null}
      {actions.deleting ? (
        <ConfirmDialog
          title={`Delete key ${actions.deleting}?`}
          confirmLabel="Delete key"
          busy={actions.busy}
          onConfirm={() => actions.onDelete(actions.deleting!)}
          onCancel={() => actions.onAskDelete(null)}
        >
          Requests with its secret are refused from now on. The change is saved as a config version.
        </ConfirmDialog>
      ) : null}
      {editing ? (
        <KeyLimitsForm
          key={editing.keyId}
          keyInfo={editing}
          modelLimits={modelLimits.get(editing.keyId) ?? []}
          busy={actions.busy}
          onSave={(body) => actions.onSaveLimits(editing.keyId, body)}
          onCancel={() => actions.onEdit(null)}
        />
      ) : null}
      <CreateKeyForm busy={actions.busy} onCreate={actions.onCreate} />
      {keys.length > 0 ? <KeysTable keys={keys} modelLimits={modelLimits} actions={actions} /> : null}
    </>
  );
}

function KeysTable({ keys, modelLimits, actions }: { keys: KeyInfo[]; modelLimits: ReadonlyMap<string, ModelLimitRow[]>; actions: KeyActions }) {
  return (
    <div className="card card-flush">
      <table className="table" aria-label="API keys">
        <thead>
          <tr>
            <th scope="col">Key id</th>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Concurrency
            </th>
            <th scope="col" className="num">
              Priority
            </th>
            <th scope="col" className="num">
              Queue timeout
            </th>
            <th scope="col" className="num">
              RPM
            </th>
            <th scope="col" className="num">
              TPM
            </th>
            <th scope="col" className="num">
              Budget
            </th>
            <th scope="col">Per model</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <KeyRow key={k.keyId} k={k} models={modelLimits.get(k.keyId) ?? []} actions={actions} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function KeyRow({ k, models, actions }: { k: KeyInfo; models: ModelLimitRow[]; actions: KeyActions }) {
  return (
    <tr>
      <th scope="row" className="mono">
        {k.keyId}
      </th>
      <td>{k.name ?? "–"}</td>
      <td>{k.enabled ? <span className="tag tag-ok">enabled</span> : <span className="tag tag-error">disabled</span>}</td>
      <td className="num mono">{limit(k.concurrencyLimit)}</td>
      <td className="num mono">{k.priority ?? "–"}</td>
      <td className="num mono">{k.queueTimeout === null ? "none" : `${k.queueTimeout} s`}</td>
      <td className="num mono">{limit(k.rpmLimit)}</td>
      <td className="num mono">{limit(k.tpmLimit)}</td>
      <td className="num mono">{k.maxBudget === null ? "–" : `$${k.maxBudget} / ${k.budgetDuration ?? "?"}`}</td>
      <td className="mono">
        {models.length === 0
          ? "–"
          : models.map((m) => (
              <div key={m.model} className="nowrap">
                {modelLimitSummary(m)}
              </div>
            ))}
      </td>
      <td>
        <button type="button" className="btn" aria-label={`Edit limits of ${k.keyId}`} onClick={() => actions.onEdit(k.keyId)}>
          Limits
        </button>{" "}
        <button type="button" className="btn" aria-label={`Regenerate ${k.keyId}`} disabled={actions.busy} onClick={() => actions.onRegenerate(k.keyId)}>
          Regenerate
        </button>{" "}
        <button type="button" className="btn btn-danger" aria-label={`Delete ${k.keyId}`} onClick={() => actions.onAskDelete(k.keyId)}>
          Delete
        </button>
      </td>
    </tr>
  );
}
