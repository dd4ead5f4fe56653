-- The text index holds the traces with something to find beyond their columns: captured bodies
-- (any level but `metadata`), an error, a failed status, a retry or fallback, or a warning. A plain
-- success at `metadata` is one attempt's timings, found by the list's filters; indexing every one
-- of them was most of what writing a trace cost.
-- Contentless with delete support: a delete needs only the rowid, so rows left out of the index
-- delete cleanly. Rowids of "Trace" can change under VACUUM: refill the index after one with
-- DELETE FROM "TraceSearch" and the INSERT … SELECT below.
DROP TRIGGER "Trace_search_insert";
DROP TRIGGER "Trace_search_delete";
DROP TABLE "TraceSearch";
CREATE VIRTUAL TABLE "TraceSearch" USING fts5("detail", content='', contentless_delete=1);
CREATE TRIGGER "Trace_search_insert" AFTER INSERT ON "Trace"
WHEN new."captureLevel" <> 'metadata' OR new."error" IS NOT NULL OR new."status" IS NULL OR new."status" >= 400 OR new."attempts" > 1 OR new."warnings" > 0
BEGIN
  INSERT INTO "TraceSearch"(rowid, "detail") VALUES (new.rowid, new."detail");
END;
CREATE TRIGGER "Trace_search_delete" AFTER DELETE ON "Trace" BEGIN
  DELETE FROM "TraceSearch" WHERE rowid = old.rowid;
END;
INSERT INTO "TraceSearch"(rowid, "detail")
SELECT rowid, "detail" FROM "Trace"
WHERE "captureLevel" <> 'metadata' OR "error" IS NOT NULL OR "status" IS NULL OR "status" >= 400 OR "attempts" > 1 OR "warnings" > 0;
