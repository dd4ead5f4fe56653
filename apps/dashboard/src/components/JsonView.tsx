// A JSON value pretty-printed in monospace, scrolling when it is long.

export function JsonView({ value, label, maxHeight = 420 }: { value: unknown; label?: string; maxHeight?: number }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return (
    <pre className="code-block" style={{ maxHeight }} aria-label={label} tabIndex={0}>
      {text ?? "null"}
    </pre>
  );
}
