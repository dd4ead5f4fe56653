// Model, key and status filters, plus pause, for the live list.

import type { TraceFilters } from "../../api/types";

export interface LiveFiltersProps {
  filters: TraceFilters;
  onChange: (filters: TraceFilters) => void;
  models: string[];
  keys: string[];
  paused: boolean;
  newWhilePaused: number;
  onTogglePause: () => void;
}

export function LiveFilters({ filters, onChange, models, keys, paused, newWhilePaused, onTogglePause }: LiveFiltersProps) {
  const modelOptions = filters.model && !models.includes(filters.model) ? [filters.model, ...models] : models;
  const keyOptions = filters.key && !keys.includes(filters.key) ? [filters.key, ...keys] : keys;
  return (
    <div className="toolbar" role="group" aria-label="Filters">
      <label className="field-inline">
        <span>Model</span>
        <select value={filters.model ?? ""} onChange={(e) => onChange({ ...filters, model: e.target.value || undefined })}>
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
        <select value={filters.key ?? ""} onChange={(e) => onChange({ ...filters, key: e.target.value || undefined })}>
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
          onChange={(e) => onChange({ ...filters, status: e.target.value === "ok" || e.target.value === "error" ? e.target.value : undefined })}
        >
          <option value="">Any status</option>
          <option value="ok">Succeeded</option>
          <option value="error">Failed</option>
        </select>
      </label>
      <span className="toolbar-spacer" />
      <button type="button" className={`btn${paused ? " btn-primary" : ""}`} onClick={onTogglePause} aria-pressed={paused}>
        {paused ? `Resume${newWhilePaused > 0 ? ` (${newWhilePaused} new)` : ""}` : "Pause"}
      </button>
    </div>
  );
}
