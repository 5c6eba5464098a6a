-- Share links of instances; tickets from a share link carry its id (and have no session for anonymous guests).
-- AlterTable
ALTER TABLE "InstanceTicket" ADD COLUMN     "shareId" TEXT,
ALTER COLUMN "sessionId" DROP NOT NULL;

-- CreateTable
CREATE TABLE "InstanceShare" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdBySub" TEXT NOT NULL,
    "createdByName" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "oneTime" BOOLEAN NOT NULL DEFAULT false,
    "anonymous" BOOLEAN NOT NULL DEFAULT false,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "revokedReason" TEXT,

    CONSTRAINT "InstanceShare_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InstanceShare_secretHash_key" ON "InstanceShare"("secretHash");

-- CreateIndex
CREATE INDEX "InstanceShare_instanceId_idx" ON "InstanceShare"("instanceId");
