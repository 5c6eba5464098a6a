-- `[[File]]` entries of app.toml (FileSpec[]): versions imported before files existed have none.
-- AlterTable
ALTER TABLE "AppVersion" ADD COLUMN     "files" JSONB NOT NULL DEFAULT '[]';
