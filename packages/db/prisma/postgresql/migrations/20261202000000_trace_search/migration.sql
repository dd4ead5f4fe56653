-- AlterTable
ALTER TABLE "Trace" ADD COLUMN "finishReason" TEXT;
ALTER TABLE "Trace" ADD COLUMN "toolCalls" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Trace_backend_startedAt_idx" ON "Trace"("backend", "startedAt");

-- Full text over each trace's detail (captured bodies and events), on its first 256 KiB so that no
-- tsvector outgrows PostgreSQL's 1 MB limit. The trace list's text filter uses this same expression.
CREATE INDEX "Trace_detail_search_idx" ON "Trace" USING GIN (to_tsvector('simple', left("detail", 262144)));
