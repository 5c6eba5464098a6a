-- AlterTable
ALTER TABLE "AppVersion" ADD COLUMN     "byNameOwner" BOOLEAN NOT NULL DEFAULT true;

-- Versions that another user published under a name before names had owners no longer answer
-- for the bare name (they stay reachable by id and name@version, and in allVersions lists).
UPDATE "AppVersion" av SET "byNameOwner" = false
FROM "AppName" n
WHERE n."name" = av."name" AND n."ownerSub" <> av."ownerSub";
