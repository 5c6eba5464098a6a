-- CreateTable
CREATE TABLE "AppName" (
    "name" TEXT NOT NULL,
    "ownerSub" TEXT NOT NULL,
    "ownerName" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AppName_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "AppName_ownerSub_idx" ON "AppName"("ownerSub");

-- Backfill: each existing name belongs to the owner of its oldest version.
INSERT INTO "AppName" ("name", "ownerSub", "ownerName", "createdAt", "updatedAt")
SELECT DISTINCT ON ("name") "name", "ownerSub", "ownerName", "createdAt", CURRENT_TIMESTAMP
FROM "AppVersion"
ORDER BY "name", "createdAt" ASC, "id" ASC;
