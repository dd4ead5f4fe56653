// The live list's filters (model, key, outcome, client format, backend, stop reason, tool calls,
// date range, text in the captured bodies) and pause.

import { type FormEvent, useEffect, useState } from "react";
import type { TraceFilters } from "../../api/types";

const FINISH_REASONS = ["stop", "length", "tool_calls", "content_filter", "refusal", "error", "other"];
const CLIENT_FORMATS: Array<[string, string]> = [
  ["chat", "Chat Completions"],
  ["responses", "Responses"],
  ["messages", "Messages"],
];

/** An ISO date-time as a `datetime-local` input shows it (local time), and back. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export interface LiveFiltersProps {
  filters: TraceFilters;
  /** The filters changed (undefined clears one); the others stay as they are now, not as last rendered. */
  onChange: (change: Partial<TraceFilters>) => void;
  models: string[];
  keys: string[];
  paused: boolean;
  newWhilePaused: number;
  onTogglePause: () => void;
}

export function LiveFilters({ filters, onChange, models, keys, paused, newWhilePaused, onTogglePause }: LiveFiltersProps) {
  const modelOptions = filters.model && !models.includes(filters.model) ? [filters.model, ...models] : models;
  const keyOptions = filters.key && !keys.includes(filters.key) ? [filters.key, ...keys] : keys;
  const backendOptions = filters.backend && !models.includes(filters.backend) ? [filters.backend, ...models] : models;
  return (
    <div className="toolbar" role="group" aria-label="Filters">
      <SearchBox filters={filters} onChange={onChange} />
      <label className="field-inline">
        <span>Model</span>
        <select value={filters.model ?? ""} onChange={(e) => onChange({ model: e.target.value || undefined })}>
          <option value="">All models</option>
          {modelOptions.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        <span>Key</span>
        <select value={filters.key ?? ""} onChange={(e) => onChange({ key: e.target.value || undefined })}>
          <option value="">All keys</option>
          {keyOptions.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        <span>Status</span>
        <select
          value={filters.status ?? ""}
          onChange={(e) => onChange({ status: e.target.value === "ok" || e.target.value === "error" ? e.target.value : undefined })}
        >
          <option value="">Any status</option>
          <option value="ok">Succeeded</option>
          <option value="error">Failed</option>
        </select>
      </label>
      <DetailFilters filters={filters} onChange={onChange} backends={backendOptions} />
      <span className="toolbar-spacer" />
      <button type="button" className={`btn${paused ? " btn-primary" : ""}`} onClick={onTogglePause} aria-pressed={paused}>
        {paused ? `Resume${newWhilePaused > 0 ? ` (${newWhilePaused} new)` : ""}` : "Pause"}
      </button>
    </div>
  );
}

interface FilterGroupProps {
  filters: TraceFilters;
  onChange: (change: Partial<TraceFilters>) => void;
}

/** Words in the captured bodies: applied on Enter, and at once when the box is emptied. */
function SearchBox({ filters, onChange }: FilterGroupProps) {
  const [text, setText] = useState(filters.q ?? "");
  useEffect(() => setText(filters.q ?? ""), [filters.q]);
  const typed = (value: string) => {
    setText(value);
    if (value === "" && filters.q) onChange({ q: undefined });
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    onChange({ q: text.trim() || undefined });
  };
  return (
    <form role="search" onSubmit={search} className="field-inline">
      <label className="field-inline">
        <span>Search</span>
        <input type="search" value={text} placeholder="Words in bodies" onChange={(e) => typed(e.target.value)} maxLength={500} />
      </label>
    </form>
  );
}

/** Client format, backend, stop reason, tool calls and date range. */
function DetailFilters({ filters, onChange, backends }: FilterGroupProps & { backends: string[] }) {
  const set = (name: keyof TraceFilters) => (e: { target: { value: string } }) => onChange({ [name]: e.target.value || undefined });
  return (
    <>
      <label className="field-inline">
        <span>Client</span>
        <select value={filters.client ?? ""} onChange={set("client")}>
          <option value="">Any client format</option>
          {CLIENT_FORMATS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        <span>Backend</span>
        <select value={filters.backend ?? ""} onChange={set("backend")}>
          <option value="">Any backend</option>
          {backends.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        <span>Stop reason</span>
        <select value={filters.finish ?? ""} onChange={set("finish")}>
          <option value="">Any stop reason</option>
          {FINISH_REASONS.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        <span>Tool calls</span>
        <select value={filters.tools ?? ""} onChange={set("tools")}>
          <option value="">With or without</option>
          <option value="true">Called tools</option>
          <option value="false">No tool calls</option>
        </select>
      </label>
      <label className="field-inline">
        <span>From</span>
        <input type="datetime-local" value={toLocalInput(filters.from)} onChange={(e) => onChange({ from: fromLocalInput(e.target.value) })} />
      </label>
      <label className="field-inline">
        <span>To</span>
        <input type="datetime-local" value={toLocalInput(filters.to)} onChange={(e) => onChange({ to: fromLocalInput(e.target.value) })} />
      </label>
    </>
  );
}
