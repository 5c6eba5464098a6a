-- Tickets live for seconds; ones issued before sessions were recorded are dropped.
DELETE FROM "InstanceTicket";

-- AlterTable
ALTER TABLE "InstanceTicket" ADD COLUMN     "sessionId" TEXT NOT NULL;
