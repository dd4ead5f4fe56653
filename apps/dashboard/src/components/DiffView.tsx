// Unified-diff rows with old and new line numbers, additions green and deletions red.

import type { DiffLine } from "../lib/line-diff";

const SIGN: Record<DiffLine["kind"], string> = { add: "+", del: "−", context: " ", hunk: "" };

export function DiffView({ lines, label, emptyText = "No changes." }: { lines: DiffLine[]; label: string; emptyText?: string }) {
  if (lines.length === 0) return <p className="muted diff-empty">{emptyText}</p>;
  const added = lines.filter((l) => l.kind === "add").length;
  const removed = lines.filter((l) => l.kind === "del").length;
  return (
    <div className="diff" role="region" aria-label={label}>
      <p className="diff-stat small">
        <span className="text-ok">+{added}</span> <span className="text-error">−{removed}</span> lines
      </p>
      <table className="diff-table">
        <tbody>
          {lines.map((l, i) =>
            l.kind === "hunk" ? (
              <tr key={i} className="diff-hunk">
                <td colSpan={4}>{l.text}</td>
              </tr>
            ) : (
              <tr key={i} className={`diff-${l.kind}`}>
                <td className="diff-no">{l.oldNo ?? ""}</td>
                <td className="diff-no">{l.newNo ?? ""}</td>
                <td className="diff-sign">{SIGN[l.kind]}</td>
                <td className="diff-text">{l.text}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}
