-- CreateTable
CREATE TABLE "Trace" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "startedAt" DATETIME NOT NULL,
    "model" TEXT NOT NULL,
    "keyId" TEXT,
    "clientFormat" TEXT NOT NULL,
    "backend" TEXT,
    "backendFormat" TEXT,
    "stream" BOOLEAN NOT NULL,
    "status" INTEGER,
    "attempts" INTEGER NOT NULL,
    "ttftMs" REAL,
    "durationMs" REAL,
    "promptTokens" INTEGER,
    "completionTokens" INTEGER,
    "error" TEXT,
    "warnings" INTEGER NOT NULL,
    "captureLevel" TEXT NOT NULL,
    "detail" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "ConfigVersion" (
    "version" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "author" TEXT NOT NULL,
    "yaml" TEXT NOT NULL,
    "summary" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "Trace_startedAt_idx" ON "Trace"("startedAt");

-- CreateIndex
CREATE INDEX "Trace_model_startedAt_idx" ON "Trace"("model", "startedAt");

-- CreateIndex
CREATE INDEX "Trace_keyId_startedAt_idx" ON "Trace"("keyId", "startedAt");

-- CreateIndex
CREATE INDEX "Trace_status_startedAt_idx" ON "Trace"("status", "startedAt");

