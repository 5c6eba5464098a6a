import { EventsController, InstanceEventsListener } from './events.controller';
import { InstanceEventsHub } from './instance-events.hub';
import { InstanceVisibility } from './instance-visibility';

/**
 * Live instance events (GET /api/v1/events), registered in GatewayModule itself rather than as a
 * module of its own: they check sign-ins with the gateway's Authenticator and SessionService and
 * share its catalog AnswerCache, which that module provides without exporting.
 */
export const EventsFeature = {
  controllers: [EventsController, InstanceEventsListener],
  providers: [InstanceVisibility, InstanceEventsHub],
};
