// The trace page's translation warnings, one group per code (`content_dropped ×3`).

import type { TraceWarning } from "../../api/types";
import { groupWarnings } from "./group-warnings";

export function WarningGroups({ warnings }: { warnings: readonly TraceWarning[] }) {
  return (
    <section className="notice notice-warn" aria-label="Translation warnings">
      <strong>Translation warnings</strong>
      {groupWarnings(warnings).map((group) => (
        <div key={group.code} className="warning-group" role="group" aria-label={`Warnings ${group.code}`}>
          <div className="mono small">
            {group.code} ×{group.warnings.length}
          </div>
          <ul className="warning-list">
            {group.warnings.map((w, i) => (
              <li key={i} className="mono">
                {w.path ? `${w.path}: ` : ""}
                {w.message}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
