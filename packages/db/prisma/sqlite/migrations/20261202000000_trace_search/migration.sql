-- AlterTable
ALTER TABLE "Trace" ADD COLUMN "finishReason" TEXT;
ALTER TABLE "Trace" ADD COLUMN "toolCalls" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Trace_backend_startedAt_idx" ON "Trace"("backend", "startedAt");

-- Full text over each trace's detail (captured bodies and events): an FTS5 index on the Trace rows'
-- own text (external content, keyed by rowid), kept by triggers. After a VACUUM, rebuild it with
-- INSERT INTO "TraceSearch"("TraceSearch") VALUES('rebuild').
CREATE VIRTUAL TABLE "TraceSearch" USING fts5("detail", content='Trace', content_rowid='rowid');
CREATE TRIGGER "Trace_search_insert" AFTER INSERT ON "Trace" BEGIN
  INSERT INTO "TraceSearch"(rowid, "detail") VALUES (new.rowid, new."detail");
END;
CREATE TRIGGER "Trace_search_delete" AFTER DELETE ON "Trace" BEGIN
  INSERT INTO "TraceSearch"("TraceSearch", rowid, "detail") VALUES ('delete', old.rowid, old."detail");
END;
INSERT INTO "TraceSearch"("TraceSearch") VALUES ('rebuild');
