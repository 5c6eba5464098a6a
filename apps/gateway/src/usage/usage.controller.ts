import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller } from '@wharf/contracts';
import { CurrentCaller } from '../auth/auth.guard';
import { ApiErrorsOf, ApiQueryOf, ApiResponseOf } from '../openapi/zod-openapi';
import { MyUsageSchema, UsagePageSchema, UsageQuerySchema } from './usage.schemas';
import { UsageService } from './usage.service';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('api/v1')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get('me/usage')
  @ApiOperation({ summary: 'Your live instances and imported app versions against your limits, and the per-instance ceilings' })
  @ApiResponseOf(200, MyUsageSchema)
  @ApiErrorsOf(503)
  mine(@CurrentCaller() caller: Caller) {
    return this.usage.mine(caller);
  }

  @Get('usage')
  @ApiOperation({ summary: 'Every user’s live instances and imported app versions against their limits (admins), by name; `q` filters by name or id' })
  @ApiQueryOf(UsageQuerySchema)
  @ApiResponseOf(200, UsagePageSchema)
  @ApiErrorsOf(403, 503)
  list(@CurrentCaller() caller: Caller, @Query() query: unknown) {
    return this.usage.list(caller, query);
  }
}
