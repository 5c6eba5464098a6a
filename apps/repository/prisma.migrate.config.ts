// Used ONLY by the Prisma 6.19.3 CLI (alias "prisma6") to author migrations; see libs/db/authoring.
import { defineConfig } from 'prisma6/config';
import { prisma6Config } from '../../libs/db/authoring/prisma6-config';
export default defineConfig(prisma6Config(__dirname));
