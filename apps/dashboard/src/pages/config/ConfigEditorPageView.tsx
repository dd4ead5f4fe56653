// The config editor, rendered from props: the YAML (or its diff against the running config), the
// validation panel, and apply / revert.

import type { ConfigProblem, RunningConfig } from "../../api/types";
import { DiffView } from "../../components/DiffView";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import type { DiffLine } from "../../lib/line-diff";
import { ProblemsPanel, type ValidationState } from "./ProblemsPanel";
import { YamlEditor } from "./YamlEditor";

export interface ConfigEditorPageViewProps {
  running: RunningConfig | undefined;
  loadError: unknown;
  onRetry: () => void;
  draft: string;
  onDraftChange: (yaml: string) => void;
  mode: "edit" | "diff";
  onModeChange: (mode: "edit" | "diff") => void;
  diff: DiffLine[];
  dirty: boolean;
  validation: ValidationState;
  problems: ConfigProblem[];
  canApply: boolean;
  applying: boolean;
  onApply: () => void;
  onRevert: () => void;
  notice: { tone: "ok" | "error"; text: string } | null;
  jumpTo: { line: number; seq: number } | null;
  onJump: (line: number) => void;
}

export function ConfigEditorPageView(props: ConfigEditorPageViewProps) {
  const { running, mode, dirty, diff, notice } = props;
  if (!running) {
    return props.loadError ? (
      <ErrorState title="Could not load the config" error={props.loadError} onRetry={props.onRetry} />
    ) : (
      <LoadingState label="Loading the config…" />
    );
  }
  const changes = diff.filter((l) => l.kind === "add" || l.kind === "del").length;
  return (
    <>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={mode === "edit"} className={mode === "edit" ? "active" : ""} onClick={() => props.onModeChange("edit")}>
            Edit
          </button>
          <button type="button" aria-pressed={mode === "diff"} className={mode === "diff" ? "active" : ""} onClick={() => props.onModeChange("diff")}>
            Diff against running{dirty ? ` (${changes})` : ""}
          </button>
        </div>
        <span className="muted small mono">
          {running.path}
          {running.version === null ? "" : ` · running version ${running.version}`}
        </span>
        <span className="toolbar-spacer" />
        <button type="button" className="btn" disabled={!dirty || props.applying} onClick={props.onRevert}>
          Revert
        </button>
        <button type="button" className="btn btn-primary" disabled={!props.canApply} onClick={props.onApply}>
          {props.applying ? "Applying…" : "Apply"}
        </button>
      </div>
      {notice ? (
        <p className={`notice notice-${notice.tone}`} role={notice.tone === "error" ? "alert" : "status"}>
          {notice.text}
        </p>
      ) : null}
      <div className="editor-layout">
        <div className="card card-flush editor-card">
          {mode === "edit" ? (
            <YamlEditor value={props.draft} onChange={props.onDraftChange} problems={props.problems} label="Config YAML" jumpTo={props.jumpTo} />
          ) : (
            <DiffView lines={diff} label="Changes against the running config" emptyText="No changes: the draft is the running config." />
          )}
        </div>
        <ProblemsPanel state={props.validation} onJump={props.onJump} />
      </div>
    </>
  );
}
