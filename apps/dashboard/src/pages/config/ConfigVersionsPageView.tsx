// Config versions, rendered from props: the list, the selected version's diff, and rollback.

import type { ConfigVersion, ConfigVersionSummary } from "../../api/types";
import { DiffView } from "../../components/DiffView";
import { EmptyState } from "../../components/EmptyState";
import { ErrorState } from "../../components/ErrorState";
import { JsonView } from "../../components/JsonView";
import { LoadingState } from "../../components/LoadingState";
import { formatDateTime } from "../../lib/format";
import { parseUnifiedDiff } from "../../lib/line-diff";

export interface ConfigVersionsPageViewProps {
  versions: ConfigVersionSummary[] | undefined;
  listError: unknown;
  onRetry: () => void;
  runningVersion: number | undefined;
  selected: number | null;
  onSelect: (version: number) => void;
  detail: ConfigVersion | undefined;
  detailError: unknown;
  confirming: boolean;
  onAskRollback: () => void;
  onCancelRollback: () => void;
  onConfirmRollback: () => void;
  rollingBack: boolean;
  notice: { tone: "ok" | "error"; text: string } | null;
  /** Null: the default for the version (its changes, or the YAML of the first one). */
  show: "changes" | "yaml" | null;
  onShowChange: (show: "changes" | "yaml") => void;
}

export function ConfigVersionsPageView(props: ConfigVersionsPageViewProps) {
  const { versions, selected, detail, runningVersion } = props;
  // The first version has nothing before it: its "diff" is the whole file, better read as YAML.
  const first = detail !== undefined && versions !== undefined && detail.version === Math.min(...versions.map((v) => v.version));
  const show = props.show ?? (first ? "yaml" : "changes");
  if (!versions) {
    return props.listError ? (
      <ErrorState title="Could not load the versions" error={props.listError} onRetry={props.onRetry} />
    ) : (
      <LoadingState label="Loading versions…" />
    );
  }
  if (versions.length === 0) return <EmptyState title="No versions yet">Every config applied from here or at start-up is saved as a version.</EmptyState>;
  return (
    <>
      {props.notice ? (
        <p className={`notice notice-${props.notice.tone}`} role={props.notice.tone === "error" ? "alert" : "status"}>
          {props.notice.text}
        </p>
      ) : null}
      <div className="split">
        <VersionList versions={versions} selected={selected} runningVersion={runningVersion} onSelect={props.onSelect} />
        <section className="card" aria-label={selected === null ? "Version" : `Version ${selected}`}>
          {selected === null ? (
            <p className="muted">Pick a version to see what it changed.</p>
          ) : !detail ? (
            props.detailError ? (
              <ErrorState title="Could not load this version" error={props.detailError} />
            ) : (
              <LoadingState label="Loading the version…" />
            )
          ) : (
            <VersionDetail {...props} detail={detail} show={show} />
          )}
        </section>
      </div>
    </>
  );
}

interface VersionListProps {
  versions: ConfigVersionSummary[];
  selected: number | null;
  runningVersion: number | undefined;
  onSelect: (version: number) => void;
}

function VersionList({ versions, selected, runningVersion, onSelect }: VersionListProps) {
  return (
    <ul className="card card-flush version-list" aria-label="Versions">
      {versions.map((v) => (
        <li key={v.version}>
          <button
            type="button"
            className={`version-item${v.version === selected ? " active" : ""}`}
            onClick={() => onSelect(v.version)}
            aria-current={v.version === selected ? "true" : undefined}
            aria-label={`Version ${v.version}${v.version === runningVersion ? " (running)" : ""}${v.summary ? `: ${v.summary}` : ""}`}
          >
            <span className="version-no">v{v.version}</span>
            {v.version === runningVersion ? <span className="tag tag-ok">running</span> : null}
            <span className="version-meta">
              {formatDateTime(v.createdAt)}
              {v.author ? ` · ${v.author}` : ""}
            </span>
            {v.summary ? <span className="version-summary">{v.summary}</span> : null}
          </button>
        </li>
      ))}
    </ul>
  );
}

function VersionDetail(props: ConfigVersionsPageViewProps & { detail: ConfigVersion; show: "changes" | "yaml" }) {
  const { detail, runningVersion, show } = props;
  return (
    <>
      <div className="section-head">
        <h2>
          Version {detail.version} <span className="muted small">{formatDateTime(detail.createdAt)}</span>
        </h2>
        <span className="toolbar-spacer" />
        {detail.version === runningVersion ? (
          <span className="muted small">This is the running config.</span>
        ) : props.confirming ? (
          <span className="confirm" role="group" aria-label="Confirm rollback">
            <span className="small">Apply version {detail.version} as a new version?</span>
            <button type="button" className="btn btn-danger" disabled={props.rollingBack} onClick={props.onConfirmRollback}>
              {props.rollingBack ? "Rolling back…" : "Yes, roll back"}
            </button>
            <button type="button" className="btn" onClick={props.onCancelRollback}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" className="btn" onClick={props.onAskRollback}>
            Roll back to version {detail.version}
          </button>
        )}
      </div>
      <div className="segmented" role="group" aria-label="Show">
        <button type="button" aria-pressed={show === "changes"} className={show === "changes" ? "active" : ""} onClick={() => props.onShowChange("changes")}>
          Changes from the version before
        </button>
        <button type="button" aria-pressed={show === "yaml"} className={show === "yaml" ? "active" : ""} onClick={() => props.onShowChange("yaml")}>
          Full YAML
        </button>
      </div>
      <div className="version-body">
        {show === "changes" ? (
          <DiffView lines={parseUnifiedDiff(detail.diff)} label={`Diff of version ${detail.version}`} emptyText="No changes from the version before." />
        ) : (
          <JsonView value={detail.yaml} label={`YAML of version ${detail.version}`} maxHeight={620} />
        )}
      </div>
    </>
  );
}
