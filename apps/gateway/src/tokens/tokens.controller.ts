import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PageRequestSchema, type Caller } from '@wharf/contracts';
import { z } from 'zod';
import { CurrentCaller, type AuthedRequest } from '../auth/auth.guard';
import { ApiBodyOf, ApiErrorsOf, ApiQueryOf, ApiResponseOf, namedPageOf, parseOrThrow } from '../openapi/zod-openapi';
import { CreatedTokenSchema, CreateTokenSchema, MeSchema, TokenInfoSchema } from './token.schemas';
import { TokenService } from './token.service';
import { RateLimit, RateLimitGuard } from '../identity/rate-limit/rate-limit.guard';

const TokenListQuerySchema = PageRequestSchema.extend({ all: z.enum(['true', 'false']).optional() });

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/v1')
export class TokensController {
  constructor(private readonly tokens: TokenService) {}

  @Get('me')
  @ApiOperation({ summary: 'Who the bearer is' })
  @ApiResponseOf(200, MeSchema)
  me(@Req() req: AuthedRequest) {
    const a = req.auth!;
    switch (a.kind) {
      case 'token':
        return { ...a.caller, auth: { kind: a.kind, tokenId: a.token.id, readOnly: a.token.readOnly, expiresAt: a.token.expiresAt?.toISOString() ?? null } };
      case 'session':
        return { ...a.caller, auth: { kind: a.kind, readOnly: false, expiresAt: a.session.expiresAt.toISOString() } };
      case 'oidc':
        return { ...a.caller, auth: { kind: a.kind, readOnly: false, expiresAt: a.expiresAt?.toISOString() ?? null, clientId: a.clientId } };
    }
  }

  @Post('tokens')
  @RateLimit('token')
  @UseGuards(RateLimitGuard)
  @ApiOperation({ summary: 'Create a personal access token (admins: for another user). The secret is in `token`, shown once.' })
  @ApiBodyOf(CreateTokenSchema)
  @ApiResponseOf(201, CreatedTokenSchema)
  create(@CurrentCaller() caller: Caller, @Body() body: unknown) {
    return this.tokens.create(caller, body);
  }

  @Get('tokens')
  @ApiOperation({ summary: 'List your tokens (admins: `all=true` for everyone’s); secrets are never shown again' })
  @ApiQueryOf(TokenListQuerySchema)
  @ApiResponseOf(200, namedPageOf(TokenInfoSchema))
  @ApiErrorsOf(403)
  list(@CurrentCaller() caller: Caller, @Query() query: unknown) {
    const q = parseOrThrow(TokenListQuerySchema, query, 'query');
    return this.tokens.list(caller, q.all === 'true', q.cursor, q.limit);
  }

  @Delete('tokens/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a token; takes effect on the next request' })
  @ApiResponseOf(200, TokenInfoSchema)
  revoke(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.tokens.revoke(caller, id);
  }
}
