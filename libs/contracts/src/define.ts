import { z } from 'zod';
import { CallerSchema } from './caller';

/** A request/response contract over NATS, declared once and used by both sides. */
export interface RequestContract<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly kind: 'request';
  readonly subject: string;
  readonly request: Req;
  readonly response: Res;
  /**
   * `{ caller, body }`: what is validated. On the wire it also carries `assertion`, the signed
   * caller assertion (see caller-assertion.ts) that the serving side checks before anything else.
   */
  readonly envelope: z.ZodType<Envelope<z.infer<Req>>>;
}

export interface EventContract<Payload extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  readonly subject: string;
  readonly payload: Payload;
}

export interface Envelope<T> {
  caller: z.infer<typeof CallerSchema> | null;
  body: T;
}

const SUBJECT = /^[a-z]+(\.[a-z-]+)+\.v[0-9]+$/;

export function defineRequest<Req extends z.ZodType, Res extends z.ZodType>(
  subject: string,
  request: Req,
  response: Res,
): RequestContract<Req, Res> {
  if (!SUBJECT.test(subject)) throw new Error(`bad subject ${subject}: expected <service>.<entity>.<verb>.v<N>`);
  const envelope = z.object({ caller: CallerSchema.nullable(), body: request }) as unknown as z.ZodType<
    Envelope<z.infer<Req>>
  >;
  return { kind: 'request', subject, request, response, envelope };
}

export function defineEvent<Payload extends z.ZodType>(subject: string, payload: Payload): EventContract<Payload> {
  if (!SUBJECT.test(subject) || !subject.startsWith('events.')) {
    throw new Error(`bad event subject ${subject}: expected events.<entity>.<what>.v<N>`);
  }
  return { kind: 'event', subject, payload };
}

export type RequestOf<C> = C extends RequestContract<infer Req, z.ZodType> ? z.input<Req> : never;
export type ParsedRequestOf<C> = C extends RequestContract<infer Req, z.ZodType> ? z.output<Req> : never;
export type ResponseOf<C> = C extends RequestContract<z.ZodType, infer Res> ? z.output<Res> : never;
export type PayloadOf<C> = C extends EventContract<infer P> ? z.output<P> : never;

/** A page of results; every list answers `{ items, nextCursor }`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const PageRequestSchema = z.object({
  /** The `nextCursor` of the previous page, unchanged (made and read by cursor.ts, the one codec). */
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
