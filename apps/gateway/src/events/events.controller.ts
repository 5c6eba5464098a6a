import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppNameSchema, InstanceIdSchema, InstanceUpdatedEvent, TokenChangedEvent, unauthenticated } from '@wharf/contracts';
import { OnEvent, type EventOf } from '@wharf/nats';
import type { Response } from 'express';
import { z } from 'zod';
import { bearerToken, type AuthedRequest } from '../auth/authed-request';
import { parseCookies } from '../identity/cookies';
import { SessionService } from '../identity/session/session.service';
import { ApiErrorsOf, ApiQueryOf, parseOrThrow } from '../openapi/zod-openapi';
import type { StreamCredential, StreamFilters } from './event-stream';
import { ShareService } from '../shares/share.service';
import { InstanceEventsHub } from './instance-events.hub';

const MAX_INSTANCE_FILTER = 100;

const EventsQuerySchema = z.object({
  /** Only these instances. */
  instance: z
    .string()
    .describe(`Only these instances: ids, comma separated (at most ${MAX_INSTANCE_FILTER})`)
    .transform((v) => v.split(',').map((id) => id.trim()))
    .pipe(z.array(InstanceIdSchema).min(1).max(MAX_INSTANCE_FILTER))
    .optional(),
  app: AppNameSchema.describe('Only instances of this app (its name)').optional(),
  owner: z.string().min(1).max(200).describe("Only instances of this owner (the user's id, `sub`)").optional(),
});

const DESCRIPTION = [
  'Server-sent events (`text/event-stream`, e.g. `new EventSource("/api/v1/events")` with the session cookie) of the instances the caller may see, ',
  'the same ones GET /api/v1/instances/{id} answers them; every change of one (created, each status the launcher reports with its current step, ',
  'visibility, upgrade, terminated) comes as:\n\n',
  '- `event: instance`, `id:` (increasing), `data:` the instance as GET /api/v1/instances/{id} gives it (the `Instance` schema); ',
  'a terminated instance comes a last time with status `TERMINATED`;\n',
  '- `event: gone`, `data: {"id"}`: an instance this stream sent that the caller may no longer see (its visibility changed);\n',
  '- `event: end`, `data: {"code","message"}`, then the stream closes: the session ended or the token was revoked (sign in again);\n',
  '- comment lines (`: heartbeat`) every Gateway.EventsHeartbeatSeconds (15) to keep proxies from closing it.\n\n',
  'No history is replayed: open the stream, then read the current state (GET /api/v1/instances), then apply events. ',
  'Ids are numbered per gateway replica; after a reconnect read the state again.',
].join('');

/** GET /api/v1/events: live instance events (see InstanceEventsHub). */
@ApiTags('instances')
@ApiBearerAuth()
@Controller('api/v1')
export class EventsController {
  constructor(
    private readonly hub: InstanceEventsHub,
    private readonly sessions: SessionService,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Live events of the instances you may see (server-sent events), without polling lists', description: DESCRIPTION })
  @ApiQueryOf(EventsQuerySchema)
  @ApiResponse({
    status: 200,
    description: 'The event stream; it stays open until the client leaves, the sign-in ends or the gateway stops',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrorsOf(429)
  events(@Req() req: AuthedRequest, @Res() res: Response, @Query() query: unknown): void {
    const q = parseOrThrow(EventsQuerySchema, query, 'query');
    const filters: StreamFilters = { instances: q.instance ? new Set(q.instance) : null, app: q.app ?? null, owner: q.owner ?? null };
    this.hub.open(res, req.auth!.caller, this.credentialOf(req), filters);
  }

  /** What the guard signed this request in with, to check again while the stream lasts. */
  private credentialOf(req: AuthedRequest): StreamCredential {
    if (req.auth?.kind === 'session') {
      const value = parseCookies(req.headers.cookie).get(this.sessions.cookieName);
      if (value) return { kind: 'session', value };
    } else {
      const bearer = bearerToken(req.headers.authorization);
      if (bearer) return { kind: 'bearer', value: bearer };
    }
    throw unauthenticated('sign in to follow instance events');
  }
}

/** This replica's subscriptions for the live events: broadcast (every replica gets every event), one each. */
@Controller()
export class InstanceEventsListener {
  constructor(
    private readonly hub: InstanceEventsHub,
    private readonly shares: ShareService,
  ) {}

  @OnEvent(InstanceUpdatedEvent, { broadcast: true })
  async instanceUpdated(@Payload() e: EventOf<typeof InstanceUpdatedEvent>): Promise<void> {
    this.hub.publish(e);
    // a terminated instance's share links end with it (every replica tries; the first one revokes them)
    if (e.instance.status === 'TERMINATED') await this.shares.instanceTerminated(e.instance.id);
  }

  @OnEvent(TokenChangedEvent, { broadcast: true })
  async tokenChanged(@Payload() e: EventOf<typeof TokenChangedEvent>): Promise<void> {
    await this.hub.userChanged(e.userSub);
  }
}
