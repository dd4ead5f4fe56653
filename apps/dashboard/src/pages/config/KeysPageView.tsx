// The configured app keys with their limits (never a secret), rendered from props.

import type { KeyInfo } from "../../api/types";
import { EmptyState } from "../../components/EmptyState";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";

const limit = (n: number | null) => (n === null ? "–" : n === 0 ? "unlimited" : String(n));

export function KeysPageView({ keys, enabled, error, onRetry }: { keys: KeyInfo[] | undefined; enabled: boolean; error: unknown; onRetry: () => void }) {
  if (!keys) return error ? <ErrorState title="Could not load the keys" error={error} onRetry={onRetry} /> : <LoadingState label="Loading keys…" />;
  if (keys.length === 0)
    return (
      <EmptyState title="No API keys configured">
        Requests are not authenticated. Add <code>app_keys</code> with <code>enabled: true</code> to the config to require keys.
      </EmptyState>
    );
  return (
    <>
      {enabled ? null : (
        <p className="notice notice-warn">
          <code>app_keys.enabled</code> is false: these keys are configured but requests are not checked against them.
        </p>
      )}
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
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.keyId}>
                <th scope="row" className="mono">
                  {k.keyId}
                </th>
                <td>{k.name ?? "–"}</td>
                <td>{k.enabled ? <span className="tag tag-ok">enabled</span> : <span className="tag tag-error">disabled</span>}</td>
                <td className="num mono">{limit(k.concurrencyLimit)}</td>
                <td className="num mono">{k.priority ?? "–"}</td>
                <td className="num mono">{k.queueTimeout === null ? "none" : `${k.queueTimeout} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
