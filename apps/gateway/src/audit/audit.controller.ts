import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller } from '@wharf/contracts';
import { CurrentCaller } from '../auth/auth.guard';
import { ApiErrorsOf, ApiQueryOf, ApiResponseOf, namedPageOf } from '../openapi/zod-openapi';
import { AuditEventSchema, AuditQuerySchema } from './audit.schemas';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'The audit log, newest first (admins): filter by actor, action (`app.*`), target, outcome, since/until' })
  @ApiQueryOf(AuditQuerySchema)
  @ApiResponseOf(200, namedPageOf(AuditEventSchema))
  @ApiErrorsOf(403)
  list(@CurrentCaller() caller: Caller, @Query() query: unknown) {
    return this.audit.list(caller, query);
  }
}
