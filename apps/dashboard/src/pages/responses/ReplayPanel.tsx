// Replay controls and the two answers side by side: the stored one and the replay as it streams.

import { type FormEvent, useState } from "react";
import { Link } from "react-router-dom";
import type { ResponseObject } from "../../api/types";
import type { ReplayState } from "../../hooks/useReplay";
import { formatCount, formatMs } from "../../lib/format";
import { ConversationItem, ConversationItems } from "./ConversationItems";

export interface ReplayPanelProps {
  original: ResponseObject;
  chainLength: number;
  models: string[];
  replay: ReplayState;
  onReplay: (model: string, mode: "turn" | "chain") => void;
  onStop: () => void;
}

function usageText(usage: { input_tokens?: number; output_tokens?: number } | null | undefined): string | null {
  if (!usage) return null;
  return `${formatCount(usage.input_tokens ?? null)} in / ${formatCount(usage.output_tokens ?? null)} out tokens`;
}

export function ReplayPanel({ original, chainLength, models, replay, onReplay, onStop }: ReplayPanelProps) {
  const [model, setModel] = useState(() => models.find((m) => m !== original.model) ?? original.model);
  const [mode, setMode] = useState<"turn" | "chain">("turn");
  const chosen = models.includes(model) ? model : (models[0] ?? original.model);
  const streaming = replay.status === "streaming";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onReplay(chosen, mode);
  };
  return (
    <section className="card" aria-labelledby="replay-title">
      <h2 id="replay-title">Replay</h2>
      <ReplayControls
        models={models}
        chosen={chosen}
        onModelChange={setModel}
        mode={mode}
        onModeChange={setMode}
        chainLength={chainLength}
        streaming={streaming}
        onStop={onStop}
        onSubmit={submit}
      />
      <div className="compare">
        <div className="compare-col" role="region" aria-label="Original answer">
          <h3>
            Original <span className="tag">{original.model}</span>
          </h3>
          <ConversationItems items={original.output ?? []} />
          {usageText(original.usage) ? <p className="muted small">{usageText(original.usage)}</p> : null}
        </div>
        <ReplayedAnswer replay={replay} />
      </div>
    </section>
  );
}

interface ReplayControlsProps {
  models: string[];
  chosen: string;
  onModelChange: (model: string) => void;
  mode: "turn" | "chain";
  onModeChange: (mode: "turn" | "chain") => void;
  chainLength: number;
  streaming: boolean;
  onStop: () => void;
  onSubmit: (e: FormEvent) => void;
}

function ReplayControls({ models, chosen, onModelChange, mode, onModeChange, chainLength, streaming, onStop, onSubmit }: ReplayControlsProps) {
  return (
    <form className="toolbar" onSubmit={onSubmit}>
      <label className="field-inline">
        <span>Model</span>
        <select value={chosen} onChange={(e) => onModelChange(e.target.value)} disabled={streaming}>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="radio-group" disabled={streaming}>
        <legend className="sr-only">What to replay</legend>
        <label>
          <input type="radio" name="mode" value="turn" checked={mode === "turn"} onChange={() => onModeChange("turn")} /> This turn
        </label>
        <label>
          <input type="radio" name="mode" value="chain" checked={mode === "chain"} onChange={() => onModeChange("chain")} /> Whole chain ({chainLength} turn
          {chainLength === 1 ? "" : "s"})
        </label>
      </fieldset>
      <span className="toolbar-spacer" />
      {streaming ? (
        <button type="button" className="btn" onClick={onStop}>
          Stop
        </button>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={streaming || models.length === 0}>
        {streaming ? "Replaying…" : "Replay"}
      </button>
    </form>
  );
}

function ReplayedAnswer({ replay }: { replay: ReplayState }) {
  const partial = replay.items.filter((i) => i.type !== "message");
  return (
    <div className="compare-col" role="region" aria-label="Replayed answer">
      <h3>
        Replay {replay.model ? <span className="tag">{replay.model}</span> : null}
        {replay.status === "streaming" ? <span className="pulse" aria-label="streaming" /> : null}
      </h3>
      {replay.status === "idle" ? <p className="muted">Pick a model and press Replay to see its answer here.</p> : null}
      {replay.status === "streaming" ? (
        <div className="conversation">
          {replay.reasoning ? (
            <details className="reasoning" open>
              <summary>Reasoning</summary>
              <div className="reasoning-text">{replay.reasoning}</div>
            </details>
          ) : null}
          {partial.map((item, i) => (
            <ConversationItem key={item.id ?? i} item={item} />
          ))}
          <div className="bubble bubble-assistant">
            <span className="bubble-role">assistant</span>
            <div className="bubble-text">
              {replay.text}
              <span className="caret" aria-hidden="true" />
            </div>
          </div>
        </div>
      ) : null}
      {replay.status === "done" || (replay.status === "error" && replay.items.length > 0) ? <ConversationItems items={replay.items} /> : null}
      {replay.status === "error" ? (
        <p className="notice notice-error" role="alert">
          {replay.error}
        </p>
      ) : null}
      {replay.status === "done" ? (
        <p className="muted small" role="status">
          Replay finished in {formatMs(replay.elapsedMs)}
          {usageText(replay.usage) ? ` · ${usageText(replay.usage)}` : ""}
          {replay.responseId ? (
            <>
              {" · stored as "}
              <Link to={`/responses/${encodeURIComponent(replay.responseId)}`} className="mono">
                {replay.responseId}
              </Link>
            </>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}
