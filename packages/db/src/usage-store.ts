// The usage ledger's table: hourly roll-ups added to in place, read back grouped by hour or day and
// by any of key, model and backend, and pruned past their retention. Every access to UsageRollup.

import type { Database } from "./database.js";

/** What one batch adds to one roll-up row (the proxy folds its requests into these). */
export interface UsageDelta {
  /** Hours since the Unix epoch (UTC). */
  hour: number;
  /** "" for requests without an app key. */
  keyId: string;
  model: string;
  /** "" for requests no backend answered. */
  backend: string;
  /** How the answers ended (the hub's finish reasons); "" for failed requests. */
  finishReason: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number;
  unpricedRequests: number;
  toolCalls: number;
  latencyMsSum: number;
  ttftMsSum: number;
  ttftCount: number;
}

export type UsageDimension = "key" | "model" | "backend";

export interface UsageQuery {
  /** First and last hour (inclusive), as hours since the epoch. */
  fromHour: number;
  toHour: number;
  groupBy: readonly UsageDimension[];
  granularity: "hour" | "day" | "total";
  /** Only this key's rows. */
  keyId?: string;
}

type Counters = Omit<UsageDelta, "hour" | "keyId" | "model" | "backend" | "finishReason">;

/** One row of an answer: the period's start hour, the grouped dimensions, the sums. */
export interface UsageTotals extends Counters {
  hour: number;
  keyId?: string;
  model?: string;
  backend?: string;
  finishReasons: Record<string, number>;
}

const KEY_COLUMNS = ["hour", "keyId", "model", "backend", "finishReason"] as const;
const COUNTER_COLUMNS = [
  "requests",
  "errors",
  "inputTokens",
  "outputTokens",
  "cachedTokens",
  "cacheWriteTokens",
  "reasoningTokens",
  "costUsd",
  "unpricedRequests",
  "toolCalls",
  "latencyMsSum",
  "ttftMsSum",
  "ttftCount",
] as const satisfies ReadonlyArray<keyof Counters>;
const COLUMNS = [...KEY_COLUMNS, ...COUNTER_COLUMNS];
/** Rows per INSERT: well under SQLite's limit of bound parameters. */
const ROWS_PER_STATEMENT = 400;

const DIMENSION_COLUMN = { key: "keyId", model: "model", backend: "backend" } as const;

function emptyCounters(): Counters {
  const out = {} as Counters;
  for (const c of COUNTER_COLUMNS) out[c] = 0;
  return out;
}

/** Runs a statement off this thread (the trace writer's worker). */
export interface StatementWriter {
  execute(sql: string, values: unknown[]): Promise<void>;
}

export class UsageStore {
  constructor(
    private readonly db: Database,
    private readonly writer?: StatementWriter,
  ) {}

  /** Adds each delta to its row (made if missing), atomically per row whatever other replicas write. */
  async add(deltas: readonly UsageDelta[]): Promise<void> {
    for (let i = 0; i < deltas.length; i += ROWS_PER_STATEMENT) {
      const part = deltas.slice(i, i + ROWS_PER_STATEMENT);
      const values: unknown[] = [];
      const pg = this.db.provider === "postgresql";
      const tuples = part.map((d) => {
        const marks = COLUMNS.map((c) => {
          values.push(d[c]);
          return pg ? `$${values.length}` : "?";
        });
        return `(${marks.join(", ")})`;
      });
      const sets = COUNTER_COLUMNS.map((c) => `"${c}" = "UsageRollup"."${c}" + excluded."${c}"`).join(", ");
      const sql =
        `INSERT INTO "UsageRollup" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")} ` +
        `ON CONFLICT (${KEY_COLUMNS.map((c) => `"${c}"`).join(", ")}) DO UPDATE SET ${sets}`;
      // On the writer's thread when there is one: a SQLite commit would block this one.
      if (this.writer) await this.writer.execute(sql, values);
      else await this.db.prisma.$executeRawUnsafe(sql, ...values);
    }
  }

  /** Sums per period and per the asked dimensions, oldest period first. */
  async query(q: UsageQuery): Promise<UsageTotals[]> {
    const by = ["hour", "finishReason", ...q.groupBy.map((d) => DIMENSION_COLUMN[d])] as Array<"hour" | "finishReason" | "keyId" | "model" | "backend">;
    const sum = Object.fromEntries(COUNTER_COLUMNS.map((c) => [c, true])) as Record<(typeof COUNTER_COLUMNS)[number], true>;
    const where = { hour: { gte: q.fromHour, lte: q.toHour }, ...(q.keyId !== undefined ? { keyId: q.keyId } : {}) };
    const groups = await this.db.prisma.usageRollup.groupBy({ by, where, _sum: sum, orderBy: [{ hour: "asc" }] });
    const out = new Map<string, UsageTotals>();
    for (const g of groups) {
      const period = q.granularity === "hour" ? g.hour : q.granularity === "day" ? g.hour - (g.hour % 24) : q.fromHour;
      const dims: Pick<UsageTotals, "keyId" | "model" | "backend"> = {};
      for (const d of q.groupBy) dims[DIMENSION_COLUMN[d]] = g[DIMENSION_COLUMN[d]];
      const id = JSON.stringify([period, dims.keyId, dims.model, dims.backend]);
      let row = out.get(id);
      if (!row) {
        row = { hour: period, ...dims, ...emptyCounters(), finishReasons: {} };
        out.set(id, row);
      }
      for (const c of COUNTER_COLUMNS) row[c] += Number(g._sum[c] ?? 0);
      if (g.finishReason) row.finishReasons[g.finishReason] = (row.finishReasons[g.finishReason] ?? 0) + Number(g._sum.requests ?? 0);
    }
    return [...out.values()];
  }

  /** Deletes the rows of hours before `hour`; answers how many went. */
  async deleteBefore(hour: number): Promise<number> {
    const { count } = await this.db.prisma.usageRollup.deleteMany({ where: { hour: { lt: hour } } });
    return count;
  }
}
