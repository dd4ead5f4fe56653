// Stored responses, rendered from props: the search form and the matching responses.

import { type FormEvent, useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { ResponseFilters, StoredResponseSummary } from "../../api/types";
import { EmptyState } from "../../components/EmptyState";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import { formatDateTime, shortId } from "../../lib/format";

export interface ResponsesPageViewProps {
  filters: ResponseFilters;
  onSearch: (filters: ResponseFilters) => void;
  models: string[];
  rows: StoredResponseSummary[] | undefined;
  error: unknown;
  onRetry: () => void;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}

export function ResponsesPageView(props: ResponsesPageViewProps) {
  const { filters, rows } = props;
  const [q, setQ] = useState(filters.q ?? "");
  useEffect(() => setQ(filters.q ?? ""), [filters.q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSearch({ ...filters, q: q.trim() || undefined });
  };
  const searching = Boolean(filters.q || filters.model || filters.key);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Stored responses</h1>
      </div>
      <form className="toolbar" role="search" onSubmit={submit}>
        <label className="field-inline grow">
          <span>Text</span>
          <input type="search" placeholder="Words in the input or output" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <label className="field-inline">
          <span>Model</span>
          <select value={filters.model ?? ""} onChange={(e) => props.onSearch({ ...filters, q: q.trim() || undefined, model: e.target.value || undefined })}>
            <option value="">All models</option>
            {props.models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      <section className="card card-flush" aria-label="Results">
        {!rows ? (
          props.error ? (
            <ErrorState title="Could not search the responses" error={props.error} onRetry={props.onRetry} />
          ) : (
            <LoadingState label="Searching…" />
          )
        ) : rows.length === 0 ? (
          <EmptyState title={searching ? "Nothing matches this search" : "No stored responses yet"}>
            Responses are stored when a client calls <code>/v1/responses</code> with <code>store</code> left on.
          </EmptyState>
        ) : (
          <>
            <ResponsesTable rows={rows} />
            {props.hasMore ? (
              <div className="load-more">
                <button type="button" className="btn" onClick={props.onLoadMore} disabled={props.loadingMore}>
                  {props.loadingMore ? "Loading…" : "Load more"}
                </button>
              </div>
            ) : null}
          </>
        )}
      </section>
    </div>
  );
}

function ResponsesTable({ rows }: { rows: StoredResponseSummary[] }) {
  const navigate = useNavigate();
  return (
    <div className="table-wrap">
      <table className="table table-hover" aria-label="Stored responses">
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Response</th>
            <th scope="col">Model</th>
            <th scope="col">Key</th>
            <th scope="col">Status</th>
            <th scope="col">Preview</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} onClick={() => void navigate(`/responses/${encodeURIComponent(r.id)}`)}>
              <td className="nowrap small">{formatDateTime(r.createdAt)}</td>
              <td className="mono small nowrap">
                <Link to={`/responses/${encodeURIComponent(r.id)}`} onClick={(e) => e.stopPropagation()} title={r.id}>
                  {shortId(r.id, 40)}
                </Link>
                {r.previousResponseId ? (
                  <span className="tag" title={`continues ${r.previousResponseId}`}>
                    chain
                  </span>
                ) : null}
              </td>
              <td className="strong">{r.model}</td>
              <td className="muted">{r.keyId ?? "–"}</td>
              <td>
                <span className={`tag ${r.status === "completed" ? "tag-ok" : r.status === "failed" ? "tag-error" : ""}`}>{r.status}</span>
              </td>
              <td className="preview">{r.preview}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
