-- CreateTable
CREATE TABLE "UsageRollup" (
    "hour" INTEGER NOT NULL,
    "keyId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "finishReason" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "inputTokens" BIGINT NOT NULL,
    "outputTokens" BIGINT NOT NULL,
    "cachedTokens" BIGINT NOT NULL,
    "cacheWriteTokens" BIGINT NOT NULL,
    "reasoningTokens" BIGINT NOT NULL,
    "costUsd" REAL NOT NULL,
    "unpricedRequests" INTEGER NOT NULL,
    "toolCalls" INTEGER NOT NULL,
    "latencyMsSum" REAL NOT NULL,
    "ttftMsSum" REAL NOT NULL,
    "ttftCount" INTEGER NOT NULL,

    PRIMARY KEY ("hour", "keyId", "model", "backend", "finishReason")
);

-- CreateIndex
CREATE INDEX "UsageRollup_keyId_hour_idx" ON "UsageRollup"("keyId", "hour");

-- CreateIndex
CREATE INDEX "UsageRollup_hour_idx" ON "UsageRollup"("hour");

