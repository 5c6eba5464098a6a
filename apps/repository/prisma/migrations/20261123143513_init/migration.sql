-- CreateEnum
CREATE TYPE "Visibility" AS ENUM ('PRIVATE', 'ALL_USERS', 'PUBLIC');

-- CreateEnum
CREATE TYPE "ImageKind" AS ENUM ('ICON', 'SCREENSHOT');

-- CreateTable
CREATE TABLE "AppVersion" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "versionKey" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "longDescription" TEXT,
    "categories" TEXT[],
    "keywords" TEXT[],
    "ownerSub" TEXT NOT NULL,
    "ownerName" TEXT NOT NULL,
    "visibility" "Visibility" NOT NULL DEFAULT 'PRIVATE',
    "runtime" JSONB NOT NULL,
    "env" JSONB NOT NULL,
    "blobKey" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "searchText" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AppVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AppImage" (
    "id" TEXT NOT NULL,
    "appVersionId" TEXT NOT NULL,
    "kind" "ImageKind" NOT NULL,
    "index" INTEGER NOT NULL,
    "contentType" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "AppImage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Tag" (
    "name" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "color" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "visitorRoles" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Tag_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "AppVersionTag" (
    "appVersionId" TEXT NOT NULL,
    "tagName" TEXT NOT NULL,

    CONSTRAINT "AppVersionTag_pkey" PRIMARY KEY ("appVersionId","tagName")
);

-- CreateIndex
CREATE UNIQUE INDEX "AppVersion_blobKey_key" ON "AppVersion"("blobKey");

-- CreateIndex
CREATE INDEX "AppVersion_name_versionKey_idx" ON "AppVersion"("name", "versionKey" DESC);

-- CreateIndex
CREATE INDEX "AppVersion_ownerSub_idx" ON "AppVersion"("ownerSub");

-- CreateIndex
CREATE UNIQUE INDEX "AppVersion_name_version_key" ON "AppVersion"("name", "version");

-- CreateIndex
CREATE UNIQUE INDEX "AppImage_appVersionId_kind_index_key" ON "AppImage"("appVersionId", "kind", "index");

-- CreateIndex
CREATE INDEX "AppVersionTag_tagName_idx" ON "AppVersionTag"("tagName");

-- AddForeignKey
ALTER TABLE "AppImage" ADD CONSTRAINT "AppImage_appVersionId_fkey" FOREIGN KEY ("appVersionId") REFERENCES "AppVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AppVersionTag" ADD CONSTRAINT "AppVersionTag_appVersionId_fkey" FOREIGN KEY ("appVersionId") REFERENCES "AppVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AppVersionTag" ADD CONSTRAINT "AppVersionTag_tagName_fkey" FOREIGN KEY ("tagName") REFERENCES "Tag"("name") ON DELETE CASCADE ON UPDATE CASCADE;
