-- CreateTable
CREATE TABLE "StoredResponse" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ownerKeyId" TEXT,
    "model" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "request" TEXT NOT NULL,
    "inputItems" TEXT NOT NULL,
    "outputItems" TEXT NOT NULL,
    "response" TEXT NOT NULL,
    "usage" TEXT,
    "previousResponseId" TEXT,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "StoredResponse_ownerKeyId_createdAt_idx" ON "StoredResponse"("ownerKeyId", "createdAt");

-- CreateIndex
CREATE INDEX "StoredResponse_createdAt_idx" ON "StoredResponse"("createdAt");

-- CreateIndex
CREATE INDEX "StoredResponse_expiresAt_idx" ON "StoredResponse"("expiresAt");

-- CreateIndex
CREATE INDEX "StoredResponse_previousResponseId_idx" ON "StoredResponse"("previousResponseId");

