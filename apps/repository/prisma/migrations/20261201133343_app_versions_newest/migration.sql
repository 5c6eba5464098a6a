-- The catalog's `newest` sort (createdAt DESC, id DESC): a page of all versions reads the index
-- from the cursor on instead of sorting the whole table.
-- CreateIndex
CREATE INDEX "AppVersion_createdAt_id_idx" ON "AppVersion"("createdAt" DESC, "id" DESC);
