// A secret the server shows once (a new or regenerated key): shown with a copy button until dismissed.

import { CopyButton } from "./CopyButton";

export function SecretOnce({ title, secret, onDismiss }: { title: string; secret: string; onDismiss: () => void }) {
  return (
    <div className="notice notice-ok" role="status" aria-label="New secret">
      <p>
        <strong>{title}</strong> Copy it now: it is not shown again.
      </p>
      <p>
        <code className="mono" aria-label="Secret">
          {secret}
        </code>{" "}
        <CopyButton text={secret} label="Copy secret" />{" "}
        <button type="button" className="btn" onClick={onDismiss}>
          Done
        </button>
      </p>
    </div>
  );
}
