-- The text index holds the traces with something to find beyond their columns: captured bodies
-- (any level but `metadata`), an error, a failed status, a retry or fallback, or a warning. A plain
-- success at `metadata` is one attempt's timings, found by the list's filters. The trace list's
-- text filter repeats this predicate, so the planner can use the partial index.
DROP INDEX "Trace_detail_search_idx";
CREATE INDEX "Trace_detail_search_idx" ON "Trace" USING GIN (to_tsvector('simple', left("detail", 262144)))
WHERE "captureLevel" <> 'metadata' OR "error" IS NOT NULL OR "status" IS NULL OR "status" >= 400 OR "attempts" > 1 OR "warnings" > 0;
