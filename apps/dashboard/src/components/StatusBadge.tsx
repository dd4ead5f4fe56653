// An HTTP status as a coloured pill; a running request shows a pulsing "running".

export function StatusBadge({ status, running = false }: { status: number | null; running?: boolean }) {
  if (running || status === null) {
    return (
      <span className="badge badge-running">
        <span className="pulse" aria-hidden="true" />
        running
      </span>
    );
  }
  const tone = status >= 500 ? "badge-error" : status >= 400 ? "badge-warn" : "badge-ok";
  return <span className={`badge ${tone}`}>{status === 499 ? "499 left" : status}</span>;
}
