// A key's `model_limits` on the Keys page: read from its entry as the file has it (the `keys` of
// GET /admin/keys; `data` has only the key's flat limits), edited as rows of text, and sent back
// whole in PUT /admin/keys/{id}, which replaces the field (null removes it).

export interface ModelLimitRow {
  model: string;
  rpm: string;
  tpm: string;
}

type Limit = number | string;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === "number" || typeof v === "string" ? String(v) : "");

/** The entry's `model_limits` as rows, in the order the file has them. */
export function modelLimitRows(entry: Record<string, unknown> | undefined): ModelLimitRow[] {
  const limits = entry?.model_limits;
  if (!isObject(limits)) return [];
  return Object.entries(limits).map(([model, spec]) => {
    const s = isObject(spec) ? spec : {};
    return { model, rpm: text(s.rpm_limit), tpm: text(s.tpm_limit) };
  });
}

/** A number as typed; anything else goes as typed, so the server refuses it at its path instead of it vanishing. */
function limitValue(v: string): Limit | undefined {
  const t = v.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/** The rows as `model_limits`: a row without a model or without a limit says nothing; no row left removes the field. */
export function modelLimitsBody(rows: ModelLimitRow[]): Record<string, { rpm_limit?: Limit; tpm_limit?: Limit }> | null {
  const out: Record<string, { rpm_limit?: Limit; tpm_limit?: Limit }> = {};
  for (const r of rows) {
    const model = r.model.trim();
    const rpm = limitValue(r.rpm);
    const tpm = limitValue(r.tpm);
    if (model === "" || (rpm === undefined && tpm === undefined)) continue;
    out[model] = { ...(rpm === undefined ? {} : { rpm_limit: rpm }), ...(tpm === undefined ? {} : { tpm_limit: tpm }) };
  }
  return Object.keys(out).length ? out : null;
}

/** One row in the keys table: `gpt: 10 rpm, 50,000 tpm`. */
export function modelLimitSummary(r: ModelLimitRow): string {
  const parts = [r.rpm && `${Number(r.rpm).toLocaleString("en-US")} rpm`, r.tpm && `${Number(r.tpm).toLocaleString("en-US")} tpm`].filter(Boolean);
  return `${r.model}: ${parts.join(", ") || "no limit"}`;
}
