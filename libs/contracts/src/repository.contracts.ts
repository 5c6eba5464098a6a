import { z } from 'zod';
import { AppVersionSchema, TagNameSchema, TagSchema } from './app';
import { defineEvent, defineRequest, pageOf, PageRequestSchema } from './define';
import { AppNameSchema, CategorySchema, RoleSchema, VisibilitySchema } from './enums';
import { RepositoryUsageSchema, UsageListRequestSchema } from './usage';

const Id = z.string().min(1).max(64);

export const AppListRequestSchema = PageRequestSchema.extend({
  /** All versions instead of the latest visible version of each app. */
  allVersions: z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]).default(false),
  /** Free text over name, title, description and keywords. */
  q: z.string().max(200).optional(),
  category: CategorySchema.optional(),
  owner: z.string().max(200).optional(),
  visibility: VisibilitySchema.optional(),
  tag: TagNameSchema.optional(),
  /**
   * `name`: by app name, A to Z (with allVersions, a name's newest version first); `newest`: the most
   * recently imported first. A `cursor` is valid only with the sort it was made for.
   */
  sort: z.enum(['name', 'newest']).default('name'),
});

/** An app name and who owns it (publishes its versions, besides admins). */
export const AppNameOwnerSchema = z.object({
  name: AppNameSchema,
  owner: z.object({ sub: z.string(), name: z.string() }),
  updatedAt: z.string(),
}).meta({ id: 'AppNameOwner' });
export type AppNameOwner = z.infer<typeof AppNameOwnerSchema>;

export const SetAppNameOwnerSchema = z
  .object({
    name: AppNameSchema,
    /** The new owner's user id (subject): an OIDC subject, or `svc:<user>` for a minted-token user. */
    owner: z.string().trim().min(1).max(200),
  })
  .strict();

export const RepositoryContracts = {
  list: defineRequest('repository.app.list.v1', AppListRequestSchema, pageOf(AppVersionSchema)),
  get: defineRequest('repository.app.get.v1', z.object({ id: Id }), AppVersionSchema),
  versions: defineRequest(
    'repository.app.versions.v1',
    PageRequestSchema.extend({ name: AppNameSchema }),
    pageOf(AppVersionSchema),
  ),
  image: defineRequest(
    'repository.app.image.v1',
    z.object({ id: Id, kind: z.enum(['icon', 'screenshot']), index: z.coerce.number().int().min(0).default(0) }),
    z.object({ contentType: z.enum(['image/png', 'image/jpeg']), base64: z.string(), sha256: z.string() }),
  ),
  setVisibility: defineRequest(
    'repository.app.set-visibility.v1',
    z.object({ id: Id, visibility: VisibilitySchema }),
    AppVersionSchema,
  ),
  /**
   * Admins only: gives an app name to another user, who then publishes its versions (existing
   * versions keep their importer as owner). Errors: FORBIDDEN, NOT_FOUND (no version ever had the name).
   */
  setOwner: defineRequest('repository.app.set-owner.v1', SetAppNameOwnerSchema, AppNameOwnerSchema),
  delete: defineRequest('repository.app.delete.v1', z.object({ id: Id }), z.object({ id: Id, deleted: z.literal(true) })),
  tagList: defineRequest('repository.tag.list.v1', PageRequestSchema, pageOf(TagSchema)),
  tagCreate: defineRequest(
    'repository.tag.create.v1',
    TagSchema.omit({ createdAt: true }).extend({
      description: z.string().max(2000).default(''),
      color: TagSchema.shape.color.default('#6e7781'),
      visitorRoles: z.array(RoleSchema).default([]),
    }),
    TagSchema,
  ),
  tagUpdate: defineRequest(
    'repository.tag.update.v1',
    TagSchema.omit({ createdAt: true }).partial().extend({ name: TagNameSchema }),
    TagSchema,
  ),
  tagDelete: defineRequest(
    'repository.tag.delete.v1',
    z.object({ name: TagNameSchema }),
    z.object({ name: TagNameSchema, deleted: z.literal(true) }),
  ),
  tagAssign: defineRequest('repository.app.tag-add.v1', z.object({ id: Id, tag: TagNameSchema }), AppVersionSchema),
  tagUnassign: defineRequest(
    'repository.app.tag-remove.v1',
    z.object({ id: Id, tag: TagNameSchema }),
    AppVersionSchema,
  ),
  /** The caller's imported versions against their limit (the count and the rule the import check uses). */
  usage: defineRequest('repository.usage.get.v1', z.object({}), RepositoryUsageSchema),
  /**
   * Admin-only: the same for the given users (limits from the roles given) and for every other
   * user owning versions (limit null: their roles are not known here).
   */
  usageList: defineRequest('repository.usage.list.v1', UsageListRequestSchema, RepositoryUsageSchema),
} as const;

export const AppChangedEvent = defineEvent(
  'events.app.changed.v1',
  z.object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    change: z.enum(['IMPORTED', 'VISIBILITY', 'TAGS', 'DELETED']),
    visibility: VisibilitySchema,
    owner: z.string(),
    at: z.string(),
  }),
);

/** Tags changed (created, updated, deleted): visibility for visitors may have changed. */
export const TagChangedEvent = defineEvent(
  'events.tag.changed.v1',
  z.object({ name: TagNameSchema, change: z.enum(['CREATED', 'UPDATED', 'DELETED']), at: z.string() }),
);
