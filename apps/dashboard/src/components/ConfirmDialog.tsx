// Asks before an action that cannot be undone from the page (deleting a key, a model).

import type { ReactNode } from "react";

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <div className="card" role="alertdialog" aria-label={title}>
      <p className="state-title">{title}</p>
      <div>{children}</div>
      <p>
        <button type="button" className="btn btn-danger" disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </button>{" "}
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </p>
    </div>
  );
}
