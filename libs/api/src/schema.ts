/**
 * Generated from the gateway's OpenAPI document by libs/api/scripts/api-types.mjs
 * (`pnpm --filter @wharf/api run api:types`). Do not edit: the test suite fails when this file
 * and the gateway's current document differ.
 */

export interface paths {
    "/api/v1/aliases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every alias (admins), by name: the instance it serves (or null), whether it is that instance’s primary, who made and changed it */
        get: operations["AliasesController_list"];
        put?: never;
        /** Create an alias (admins): `{ "name": "docs", "instanceId": "<id>", "primary": true }` serves the instance at `docs.<AppsDomain>`; without instanceId it is unassigned (404) until assigned. Names are DNS labels that do not look like instance ids */
        post: operations["AliasesController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/aliases/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Move an alias to another instance, or unassign it with `"instanceId": null` (admins). Atomic; routers serve new requests from the new instance at once, requests in flight finish where they were. A primary alias stays primary on its new instance (blue/green) unless `primary` says otherwise */
        put: operations["AliasesController_assign"];
        post?: never;
        /** Delete an alias (admins): its host answers 404, the name is free again */
        delete: operations["AliasesController_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/aliases/{name}/promote": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Make an alias the primary of its instance (admins): its id host and other aliases redirect there; the previous primary becomes a normal alias */
        post: operations["AliasesController_promote"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the catalog: the latest visible version of each app, or all versions (`allVersions=true`); search with `q` */
        get: operations["AppsController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One app version, by id, `name@version`, or `name` (its newest version you may see) */
        get: operations["AppsController_get"];
        put?: never;
        post?: never;
        /** Delete an app version (owner or admin); 409 while instances of it exist */
        delete: operations["AppsController_delete"];
        options?: never;
        head?: never;
        /** Change visibility (owner or admin); the only mutable field besides tags */
        patch: operations["AppsController_patch"];
        trace?: never;
    };
    "/api/v1/apps/{id}/bundle": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download the bundle zip; supports Range, ETag (sha256) and If-None-Match */
        get: operations["BundlesController_download"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /** The bundle’s headers only: size, ETag (sha256), Accept-Ranges */
        head: operations["BundlesController_head"];
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps/{id}/icon": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The app version’s icon (PNG or JPEG) */
        get: operations["AppsController_icon"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps/{id}/instances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run an app version: starts your own instance of it (429 at your limit) */
        post: operations["InstancesController_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps/{id}/screenshots/{n}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Screenshot n (0-based) of the app version */
        get: operations["AppsController_screenshot"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps/{id}/tags/{tag}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Put a tag on an app version (admins) */
        put: operations["AppsController_tag"];
        post?: never;
        /** Take a tag off an app version (admins) */
        delete: operations["AppsController_untag"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps/{name}/owner": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Give an app name to another user (admins): they then publish its versions; versions already imported keep their owner. `owner` is a user id (OIDC subject, or `svc:<user>` for a minted-token user) */
        put: operations["AppsController_setOwner"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/apps/{name}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** All versions of an app you may see, newest first */
        get: operations["AppsController_versions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit log, newest first (admins): filter by actor, action (`app.*`), target, outcome, since/until */
        get: operations["AuditController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bundles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import an app bundle (a zip with app.toml at its root)
         * @description Send the zip as the raw body (`Content-Type: application/zip`) or as the file of a multipart form (`curl -F bundle=@app.zip`).
         */
        post: operations["BundlesController_upload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live events of the instances you may see (server-sent events), without polling lists
         * @description Server-sent events (`text/event-stream`, e.g. `new EventSource("/api/v1/events")` with the session cookie) of the instances the caller may see, the same ones GET /api/v1/instances/{id} answers them; every change of one (created, each status the launcher reports with its current step, visibility, upgrade, terminated) comes as:
         *
         *     - `event: instance`, `id:` (increasing), `data:` the instance as GET /api/v1/instances/{id} gives it (the `Instance` schema); a terminated instance comes a last time with status `TERMINATED`;
         *     - `event: gone`, `data: {"id"}`: an instance this stream sent that the caller may no longer see (its visibility changed);
         *     - `event: end`, `data: {"code","message"}`, then the stream closes: the session ended or the token was revoked (sign in again);
         *     - comment lines (`: heartbeat`) every Gateway.EventsHeartbeatSeconds (15) to keep proxies from closing it.
         *
         *     No history is replayed: open the stream, then read the current state (GET /api/v1/instances), then apply events. Ids are numbered per gateway replica; after a reconnect read the state again.
         */
        get: operations["EventsController_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/instances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your instances; `scope=app-owner` for instances of your apps, `scope=all` for admins */
        get: operations["InstancesController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/instances/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One instance: status, why, where to open it */
        get: operations["InstancesController_get"];
        put?: never;
        post?: never;
        /** Terminate the instance: process, files and volume are removed */
        delete: operations["InstancesController_terminate"];
        options?: never;
        head?: never;
        /** Change who may open the instance (visibility), or whether it is suspended when idle (idleSuspend, admins only) */
        patch: operations["InstancesController_patch"];
        trace?: never;
    };
    "/api/v1/instances/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The last `tail` log lines as text; `follow=1` streams new lines until the instance ends */
        get: operations["InstancesController_logs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/instances/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a suspended instance again, with its volume */
        post: operations["InstancesController_resume"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/instances/{id}/shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The instance’s share links, newest first: uses, expiry, state (never the link again). Owner and admins only. */
        get: operations["SharesController_list"];
        put?: never;
        /** Share the instance: a link (`url`, shown once) that lets signed-in users — or, with `anonymous` where Gateway.AllowAnonymousShares allows it, anyone — VIEW the instance until it expires or is revoked, even when it is PRIVATE. Owner and admins only. */
        post: operations["SharesController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/instances/{id}/shares/{shareId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a share link: it stops opening, and everyone who came through it loses the instance at once (open websockets and streams close). Idempotent. */
        delete: operations["SharesController_revoke"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/instances/{id}/suspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop the instance, keeping its volume */
        post: operations["InstancesController_suspend"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/instances/{id}/upgrade": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Move the instance to another version of the same app and/or another runtime (explicit, never automatic) */
        post: operations["InstancesController_upgrade"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who the bearer is */
        get: operations["TokensController_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your live instances and imported app versions against your limits, and the per-instance ceilings */
        get: operations["UsageController_mine"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runtimes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The runtime catalogue: name, image, default, state (ACTIVE, DEPRECATED, DISABLED) */
        get: operations["InstancesController_runtimes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Platform secrets (admins), which app.toml [[Env]] entries name by their bare name: names, key names and grants only */
        get: operations["SecretsController_secrets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Create or replace a platform secret (admins): `{ "data": { "<key>": "<value>" }, "grants": { "apps": ["<app name>"], "owners": ["<user id>"] } }`. Only apps with a granted name, or published by a granted owner, read it through [[Env]]; `grants` left out keeps the current ones (none for a new secret) */
        put: operations["SecretsController_putSecret"];
        post?: never;
        /** Delete a platform secret (admins); 409 while an instance that is not terminated reads it (terminate those first, or take back their grant) */
        delete: operations["SecretsController_deleteSecret"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tags": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List tags */
        get: operations["TagsController_list"];
        put?: never;
        /** Create a tag (admins) */
        post: operations["TagsController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tags/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a tag (admins); it is taken off every app version */
        delete: operations["TagsController_delete"];
        options?: never;
        head?: never;
        /** Change a tag’s title, colour, description or visitor roles (admins) */
        patch: operations["TagsController_update"];
        trace?: never;
    };
    "/api/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List your tokens (admins: `all=true` for everyone’s); secrets are never shown again */
        get: operations["TokensController_list"];
        put?: never;
        /** Create a personal access token (admins: for another user). The secret is in `token`, shown once. */
        post: operations["TokensController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a token; takes effect on the next request */
        delete: operations["TokensController_revoke"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every user’s live instances and imported app versions against their limits (admins), by name; `q` filters by name or id */
        get: operations["UsageController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/user-secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your own secrets, which your apps' [[Env]] read as `~/<name>` (in instances you run) or `<your user id>/<name>` (visibility decides which instances may): PRIVATE (only your instances), ALL_USERS (every instance), APP (instances of the named apps). Values are write-only. `scope=all` (admins): every user's; `owner=<user id>` (admins): one user's */
        get: operations["SecretsController_userSecrets"];
        put?: never;
        /** Create a secret of yours (409 when you have one of that name): `{ "name": "openai", "data": { "API_KEY": "…" }, "visibility": "PRIVATE" }`; visibility PRIVATE (default), ALL_USERS, or APP with `"apps": ["<app name>"]`. Admins create one for another user with `?owner=<user id>` */
        post: operations["SecretsController_createUserSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/user-secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One secret of yours (admins: anyone's, with `?owner=`): its key names, visibility and apps, never its values */
        get: operations["SecretsController_getUserSecret"];
        /** Create (201) or replace (200) a secret of yours: all its keys and values; `visibility` and `apps` left out keep those it had (PRIVATE for a new one) */
        put: operations["SecretsController_putUserSecret"];
        post?: never;
        /** Delete a secret of yours; 409 while an instance that is not terminated reads it (`details.instances`: the ids you may see, `details.count`: all of them): terminate those first, or make it PRIVATE so that instances of other users no longer read it */
        delete: operations["SecretsController_deleteUserSecret"];
        options?: never;
        head?: never;
        /** Change who may read a secret of yours (`visibility`, and `apps` for APP) and keep its values */
        patch: operations["SecretsController_patchUserSecret"];
        trace?: never;
    };
    "/auth/device": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a device login (RFC 8628 §3.1): device_code, user_code, verification_uri(_complete), expires_in, interval */
        post: operations["DeviceController_start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/device/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Poll for the token (RFC 8628 §3.4): grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=… */
        post: operations["DeviceController_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/device/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The page where a signed-in user enters (or sees) the user code and approves or denies */
        get: operations["DeviceController_verifyPage"];
        put?: never;
        /** Approve or deny (form: csrf, user_code, decision=approve|deny) */
        post: operations["DeviceController_verify"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/instance-ticket": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Opens an instance: redirects to http(s)://<host>/.wharf/ticket?t=<ticket>&next=<path> (signing in first if needed)
         * @description Two forms of `host`, as the router sends them: an instance (or alias) host, `<id>.<AppsDomain>[:port]`, for instances served at their own host (DOMAIN); or a site, `<AppsDomain>[:port]/instance/<id>`, for instances served under a path of the bare apps domain (BASE_URL). The port is the router’s public port (Gateway.AppsPort), written only when it is not the scheme’s default. The ticket is bound to that host or site; for a site, the ticket goes to `http(s)://<AppsDomain>[:port]/instance/<id>/.wharf/ticket` and `next` must be a path under `/instance/<id>/`.
         */
        get: operations["AuthController_instanceTicket"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sign in with the OpenID provider, then go to `next` (a path on this gateway) */
        get: operations["AuthController_signIn"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A page that asks to sign out (the sign-out itself is POST /auth/logout) */
        get: operations["AuthController_logoutPage"];
        put?: never;
        /** Sign out: ends the session here and, when the provider supports it, there too (RP-initiated logout) */
        post: operations["AuthController_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The browser session: who is signed in, and the CSRF token to send as X-CSRF-Token on changes */
        get: operations["AuthController_session"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Alias: {
            createdAt: string;
            createdBy: {
                name: string;
                sub: string;
            };
            instanceId: string | null;
            name: string;
            primary: boolean;
            updatedAt: string;
            updatedBy: {
                name: string;
                sub: string;
            };
            url: string;
        };
        AliasAssign: {
            instanceId: string | null;
            primary?: boolean;
        };
        AliasCreate: {
            instanceId?: string | null;
            name: string;
            primary?: boolean;
        };
        AliasDeleted: {
            /** @enum {boolean} */
            deleted: true;
            name: string;
        };
        AliasPage: {
            items: components["schemas"]["Alias"][];
            nextCursor: string | null;
        };
        AppNameOwner: {
            name: string;
            owner: {
                name: string;
                sub: string;
            };
            updatedAt: string;
        };
        AppOwnerPut: {
            owner: string;
        };
        AppPatch: {
            /** @enum {string} */
            visibility: "PRIVATE" | "ALL_USERS" | "PUBLIC";
        };
        AppVersion: {
            byNameOwner?: boolean;
            categories: ("All" | "Data Science" | "Financial Services" | "Healthcare" | "Insurance" | "Manufacturing" | "Marketing" | "Retail" | "Sales" | "Telecommunications" | "Other")[];
            createdAt: string;
            description: string;
            env: ({
                name: string;
                value: string;
            } | {
                name: string;
                secret: string;
                secretKey: string;
            })[];
            /** @default [] */
            files: ({
                path: string;
                value: string;
            } | {
                path: string;
                secret: string;
                secretKey: string;
            })[];
            hasIcon: boolean;
            id: string;
            keywords: string[];
            longDescription: string | null;
            name: string;
            owner: {
                name: string;
                sub: string;
            };
            runtime: {
                gpuCount: number;
                /** @default null */
                gpuType: string | null;
                /** @default null */
                instanceTimeoutMinutes: number | null;
                /**
                 * @default ON_DEMAND
                 * @enum {string}
                 */
                lifecycle: "ON_DEMAND" | "MANAGED" | "LINK";
                /** @default null */
                linkAddress: string | null;
                memoryLimit: string | null;
                memoryReservation: string | null;
                module: string;
                /**
                 * @default null
                 * @enum {string|null}
                 */
                routingMode: "DOMAIN" | "BASE_URL" | null;
                runtimeVersion: string | null;
                volumeMount: string | null;
                volumeSize: string | null;
            };
            screenshotCount: number;
            sha256: string;
            size: number;
            tags: {
                color: string;
                name: string;
                title: string;
                visitorRoles: ("admin" | "full-access" | "visitor")[];
            }[];
            title: string;
            version: string;
            /** @enum {string} */
            visibility: "PRIVATE" | "ALL_USERS" | "PUBLIC";
        };
        AuditEvent: {
            action: string;
            actor: {
                kind: string;
                name: string | null;
                sub: string | null;
            };
            at: string;
            details: unknown;
            id: string;
            ip: string | null;
            /** @enum {string} */
            outcome: "success" | "denied" | "failure";
            requestId: string | null;
            status: number | null;
            target: string | null;
        };
        AuditEventPage: {
            items: components["schemas"]["AuditEvent"][];
            nextCursor: string | null;
        };
        CreatedToken: {
            createdAt: string;
            createdBy: string;
            expiresAt: string | null;
            hint: string;
            id: string;
            lastUsedAt: string | null;
            name: string;
            readOnly: boolean;
            revokedAt: string | null;
            roles: ("admin" | "full-access" | "visitor")[];
            token: string;
            user: {
                name: string;
                sub: string;
            };
        };
        DeviceAuthorization: {
            device_code: string;
            expires_in: number;
            interval: number;
            user_code: string;
            verification_uri: string;
            verification_uri_complete: string;
        };
        DeviceToken: {
            access_token: string;
            expires_in: number;
            token_id: string;
            /** @enum {string} */
            token_type: "Bearer";
        };
        /** @enum {string} */
        ErrorCode: "INVALID" | "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "UNAUTHENTICATED" | "LIMIT_EXCEEDED" | "UNAVAILABLE" | "INTERNAL";
        ErrorResponse: {
            error: {
                code: components["schemas"]["ErrorCode"];
                details?: unknown;
                message: string;
            };
        };
        Instance: {
            aliases: {
                name: string;
                primary: boolean;
                url: string;
            }[];
            appName: string;
            appOwner: {
                name: string;
                sub: string;
            };
            appVersion: string;
            appVersionId: string;
            /** @default / */
            basePath: string;
            createdAt: string;
            id: string;
            idle: components["schemas"]["InstanceIdle"];
            lastActivityAt: string;
            /** @enum {string} */
            lifecycle: "ON_DEMAND" | "MANAGED";
            owner: {
                name: string;
                sub: string;
            };
            primaryAlias: string | null;
            /**
             * @default DOMAIN
             * @enum {string}
             */
            routingMode: "DOMAIN" | "BASE_URL";
            runtime: string;
            /** @enum {string} */
            status: "QUEUED" | "PROVISIONING" | "INSTALLING" | "STARTING" | "RUNNING" | "FAILED" | "SUSPENDED" | "TERMINATED";
            statusReason: string | null;
            url: string;
            /** @enum {string} */
            visibility: "PRIVATE" | "ALL_USERS" | "PUBLIC";
            warnings: string[];
        };
        InstanceCeilings: {
            maxGpus: number;
            maxMemoryLimit: string;
            maxMemoryReservation: string;
        };
        InstanceIdle: {
            disabledByAdmin: boolean;
            keepAliveUntil: string | null;
            timeoutMinutes: number | null;
        };
        InstancePage: {
            items: components["schemas"]["Instance"][];
            nextCursor: string | null;
        };
        InstancePatch: {
            idleSuspend?: boolean;
            /** @enum {string} */
            visibility?: "PRIVATE" | "ALL_USERS" | "PUBLIC";
        };
        InstanceRun: {
            idempotencyKey?: string;
            runtime?: string;
            /**
             * @default PRIVATE
             * @enum {string}
             */
            visibility: "PRIVATE" | "ALL_USERS" | "PUBLIC";
        };
        InstanceShare: {
            anonymous: boolean;
            createdAt: string;
            createdBy: {
                name: string;
                sub: string;
            };
            expiresAt: string;
            id: string;
            instanceId: string;
            lastUsedAt: string | null;
            oneTime: boolean;
            revokedAt: string | null;
            revokedReason: string | null;
            /** @enum {string} */
            state: "ACTIVE" | "EXPIRED" | "REVOKED" | "USED";
            uses: number;
        };
        InstanceShareCreate: {
            /** @default false */
            anonymous: boolean;
            /** Format: date-time */
            expiresAt?: string;
            expiresIn?: string;
            /** @default false */
            oneTime: boolean;
        };
        InstanceShareCreated: {
            share: components["schemas"]["InstanceShare"];
            url: string;
        };
        InstanceShareList: {
            anonymousAllowed: boolean;
            items: components["schemas"]["InstanceShare"][];
        };
        InstanceUpgrade: {
            appVersionId?: string;
            runtime?: string;
        };
        Logout: {
            logoutUrl: string;
        };
        Me: {
            auth: {
                clientId?: string | null;
                expiresAt: string | null;
                /** @enum {string} */
                kind: "token" | "session" | "oidc";
                readOnly: boolean;
                tokenId?: string;
            };
            name: string;
            roles: ("admin" | "full-access" | "visitor")[];
            sub: string;
        };
        MyUsage: {
            ceilings: components["schemas"]["InstanceCeilings"];
            instances: {
                gpus: number;
                limit: {
                    max: number | null;
                    reason: string;
                    setting: string | null;
                } | null;
                live: number;
                memoryLimitBytes: number;
                memoryReservationBytes: number;
            };
            user: {
                name: string;
                roles: ("admin" | "full-access" | "visitor")[] | null;
                sub: string;
            };
            versions: {
                count: number;
                limit: {
                    max: number | null;
                    reason: string;
                    setting: string | null;
                } | null;
            };
        };
        OAuthError: {
            error: string;
            error_description: string;
        };
        PublicAppVersion: {
            byNameOwner?: boolean;
            categories: ("All" | "Data Science" | "Financial Services" | "Healthcare" | "Insurance" | "Manufacturing" | "Marketing" | "Retail" | "Sales" | "Telecommunications" | "Other")[];
            createdAt: string;
            description: string;
            env: (({
                name: string;
                value: string;
            } | {
                name: string;
                secret: string;
                secretKey: string;
            }) | {
                name: string;
                /** @enum {string|null} */
                secret: null;
                /** @enum {string|null} */
                secretKey: null;
            })[];
            files: (({
                path: string;
                value: string;
            } | {
                path: string;
                secret: string;
                secretKey: string;
            }) | {
                path: string;
                /** @enum {string|null} */
                secret: null;
                /** @enum {string|null} */
                secretKey: null;
            })[];
            hasIcon: boolean;
            id: string;
            keywords: string[];
            longDescription: string | null;
            name: string;
            owner: {
                name: string;
                sub: string;
            };
            runtime: {
                gpuCount: number;
                /** @default null */
                gpuType: string | null;
                /** @default null */
                instanceTimeoutMinutes: number | null;
                /**
                 * @default ON_DEMAND
                 * @enum {string}
                 */
                lifecycle: "ON_DEMAND" | "MANAGED" | "LINK";
                /** @default null */
                linkAddress: string | null;
                memoryLimit: string | null;
                memoryReservation: string | null;
                module: string;
                /**
                 * @default null
                 * @enum {string|null}
                 */
                routingMode: "DOMAIN" | "BASE_URL" | null;
                runtimeVersion: string | null;
                volumeMount: string | null;
                volumeSize: string | null;
            };
            screenshotCount: number;
            sha256: string;
            size: number;
            tags: {
                color: string;
                name: string;
                title: string;
                visitorRoles: ("admin" | "full-access" | "visitor")[];
            }[];
            title: string;
            version: string;
            /** @enum {string} */
            visibility: "PRIVATE" | "ALL_USERS" | "PUBLIC";
        };
        PublicAppVersionPage: {
            items: components["schemas"]["PublicAppVersion"][];
            nextCursor: string | null;
        };
        RuntimeVersion: {
            default: boolean;
            image: string;
            name: string;
            /** @enum {string} */
            state: "ACTIVE" | "DEPRECATED" | "DISABLED";
            stateReason: string | null;
        };
        RuntimeVersionPage: {
            items: components["schemas"]["RuntimeVersion"][];
            nextCursor: string | null;
        };
        SecretPut: {
            data: {
                [key: string]: string;
            };
            grants?: {
                /** @default [] */
                apps: string[];
                /** @default [] */
                owners: string[];
            };
        };
        SecretSummary: {
            grants: {
                apps: string[];
                owners: string[];
            };
            keys: string[];
            name: string;
            updatedAt: string;
        };
        SecretSummaryPage: {
            items: components["schemas"]["SecretSummary"][];
            nextCursor: string | null;
        };
        SessionInfo: {
            /** @enum {boolean} */
            authenticated: false;
            loginConfigured: boolean;
            loginUrl: string;
        } | {
            /** @enum {boolean} */
            authenticated: true;
            csrfToken: string;
            expiresAt: string;
            user: {
                name: string;
                roles: ("admin" | "full-access" | "visitor")[];
                sub: string;
            };
        };
        Tag: {
            color: string;
            createdAt: string;
            description: string;
            name: string;
            title: string;
            visitorRoles: ("admin" | "full-access" | "visitor")[];
        };
        TagCreate: {
            /** @default #6e7781 */
            color: string;
            /** @default  */
            description: string;
            name: string;
            title: string;
            /** @default [] */
            visitorRoles: ("admin" | "full-access" | "visitor")[];
        };
        TagPage: {
            items: components["schemas"]["Tag"][];
            nextCursor: string | null;
        };
        TagPatch: {
            color?: string;
            description?: string;
            title?: string;
            visitorRoles?: ("admin" | "full-access" | "visitor")[];
        };
        TokenCreate: {
            expiresInDays?: number;
            /** @default token */
            name: string;
            /** @default false */
            readOnly: boolean;
            roles?: ("admin" | "full-access" | "visitor")[];
            user?: string;
        };
        TokenInfo: {
            createdAt: string;
            createdBy: string;
            expiresAt: string | null;
            hint: string;
            id: string;
            lastUsedAt: string | null;
            name: string;
            readOnly: boolean;
            revokedAt: string | null;
            roles: ("admin" | "full-access" | "visitor")[];
            user: {
                name: string;
                sub: string;
            };
        };
        TokenInfoPage: {
            items: components["schemas"]["TokenInfo"][];
            nextCursor: string | null;
        };
        UserSecret: {
            apps: string[];
            keys: string[];
            name: string;
            owner: {
                name: string;
                sub: string;
            };
            ref: string;
            updatedAt: string;
            visibility: components["schemas"]["UserSecretVisibility"];
        };
        UserSecretCreate: {
            apps?: string[];
            data: {
                [key: string]: string;
            };
            name: string;
            /** @enum {string} */
            visibility?: "PRIVATE" | "ALL_USERS" | "APP";
        };
        UserSecretDeleted: {
            /** @enum {boolean} */
            deleted: true;
            name: string;
            owner: string;
            ref: string;
        };
        UserSecretPage: {
            items: components["schemas"]["UserSecret"][];
            nextCursor: string | null;
        };
        UserSecretPatch: {
            apps?: string[];
            /** @enum {string} */
            visibility: "PRIVATE" | "ALL_USERS" | "APP";
        };
        UserSecretPut: {
            apps?: string[];
            data: {
                [key: string]: string;
            };
            /** @enum {string} */
            visibility?: "PRIVATE" | "ALL_USERS" | "APP";
        };
        /** @enum {string} */
        UserSecretVisibility: "PRIVATE" | "ALL_USERS" | "APP";
        UserUsage: {
            instances: {
                gpus: number;
                limit: {
                    max: number | null;
                    reason: string;
                    setting: string | null;
                } | null;
                live: number;
                memoryLimitBytes: number;
                memoryReservationBytes: number;
            };
            user: {
                name: string;
                roles: ("admin" | "full-access" | "visitor")[] | null;
                sub: string;
            };
            versions: {
                count: number;
                limit: {
                    max: number | null;
                    reason: string;
                    setting: string | null;
                } | null;
            };
        };
        UserUsagePage: {
            ceilings: components["schemas"]["InstanceCeilings"];
            items: components["schemas"]["UserUsage"][];
            nextCursor: string | null;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    AliasesController_list: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AliasPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AliasesController_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AliasCreate"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Alias"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AliasesController_assign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AliasAssign"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Alias"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AliasesController_delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AliasDeleted"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AliasesController_promote: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Alias"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_list: {
        parameters: {
            query?: {
                allVersions?: boolean | ("0" | "1" | "true" | "false");
                category?: "All" | "Data Science" | "Financial Services" | "Healthcare" | "Insurance" | "Manufacturing" | "Marketing" | "Retail" | "Sales" | "Telecommunications" | "Other";
                cursor?: string;
                limit?: number;
                owner?: string;
                q?: string;
                sort?: "name" | "newest";
                tag?: string;
                visibility?: "PRIVATE" | "ALL_USERS" | "PUBLIC";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublicAppVersionPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublicAppVersion"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {boolean} */
                        deleted: true;
                        id: string;
                    };
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AppPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppVersion"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    BundlesController_download: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The bundle */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/zip": string;
                };
            };
            /** @description The requested range of it */
            206: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/zip": string;
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    BundlesController_head: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description As GET, without the body */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_icon: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The image (ETag; 304 for a matching If-None-Match) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InstanceRun"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Instance"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_screenshot: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                n: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The image (ETag; 304 for a matching If-None-Match) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_tag: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                tag: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppVersion"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_untag: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                tag: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppVersion"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_setOwner: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AppOwnerPut"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppNameOwner"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AppsController_versions: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublicAppVersionPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AuditController_list: {
        parameters: {
            query?: {
                action?: string;
                actor?: string;
                cursor?: string;
                limit?: number;
                outcome?: "success" | "denied" | "failure";
                since?: string;
                target?: string;
                until?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEventPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    BundlesController_upload: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/zip": string;
                "multipart/form-data": string;
            };
        };
        responses: {
            /** @description Imported */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppVersion"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    EventsController_events: {
        parameters: {
            query?: {
                app?: string;
                instance?: string;
                owner?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The event stream; it stays open until the client leaves, the sign-in ends or the gateway stops */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_list: {
        parameters: {
            query?: {
                appName?: string;
                appVersionId?: string;
                cursor?: string;
                limit?: number;
                scope?: "mine" | "app-owner" | "all";
                status?: "QUEUED" | "PROVISIONING" | "INSTALLING" | "STARTING" | "RUNNING" | "FAILED" | "SUSPENDED" | "TERMINATED";
                user?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InstancePage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Instance"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_terminate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Instance"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InstancePatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Instance"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_logs: {
        parameters: {
            query?: {
                follow?: "0" | "1" | "true" | "false";
                tail?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Log lines, one per line (streamed with `follow=1`) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_resume: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Instance"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SharesController_list: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InstanceShareList"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SharesController_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InstanceShareCreate"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InstanceShareCreated"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SharesController_revoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                shareId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InstanceShare"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_suspend: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Instance"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_upgrade: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InstanceUpgrade"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Instance"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TokensController_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    UsageController_mine: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MyUsage"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    InstancesController_runtimes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuntimeVersionPage"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_secrets: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretSummaryPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_putSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecretPut"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretSummary"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_deleteSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {boolean} */
                        deleted: true;
                        name: string;
                    };
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TagsController_list: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TagPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TagsController_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TagCreate"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Tag"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TagsController_delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {boolean} */
                        deleted: true;
                        name: string;
                    };
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TagsController_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TagPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Tag"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TokensController_list: {
        parameters: {
            query?: {
                all?: "true" | "false";
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenInfoPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TokensController_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TokenCreate"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    TokensController_revoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenInfo"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    UsageController_list: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserUsagePage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_userSecrets: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
                owner?: string;
                scope?: "mine" | "all";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSecretPage"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_createUserSecret: {
        parameters: {
            query?: {
                owner?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserSecretCreate"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSecret"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_getUserSecret: {
        parameters: {
            query?: {
                owner?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSecret"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_putUserSecret: {
        parameters: {
            query?: {
                owner?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserSecretPut"];
            };
        };
        responses: {
            /** @description Replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSecret"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSecret"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /**
             * @description Error: `{ error: { code, message, details } }`
             *
             *     Error: `{ error: { code, message, details } }`
             */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_deleteUserSecret: {
        parameters: {
            query?: {
                owner?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSecretDeleted"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONFLICT: the current state does not allow it */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SecretsController_patchUserSecret: {
        parameters: {
            query?: {
                owner?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserSecretPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSecret"];
                };
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN: not allowed for this caller (role, owner, read-only token) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description NOT_FOUND: it does not exist, or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    DeviceController_start: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceAuthorization"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    DeviceController_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Approved: a personal access token */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceToken"];
                };
            };
            /** @description Not (yet) a token: `authorization_pending`, `slow_down`, `access_denied`, `expired_token`… */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OAuthError"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    DeviceController_verifyPage: {
        parameters: {
            query?: {
                /** @description The code the CLI shows (verification_uri_complete has it) */
                user_code?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description Not signed in: to /auth/login, then back here */
            303: {
                headers: {
                    /** @description Where to go next */
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    DeviceController_verify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Approved or denied */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description Not signed in: to /auth/login */
            303: {
                headers: {
                    /** @description Where to go next */
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A wrong or expired user code (the page again, with the error) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The form was not sent by this site (CSRF token missing or wrong) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description Too many wrong codes (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
        };
    };
    AuthController_instanceTicket: {
        parameters: {
            query: {
                /** @description The instance’s host, e.g. abcde12345.apps.example.com, or its site, e.g. apps.example.com/instance/abcde12345 */
                host: string;
                /** @description A path in the instance (default /; for a site: under /instance/<id>/, the default) */
                next?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description To the instance with a ticket, or to /auth/login first */
            303: {
                headers: {
                    /** @description Where to go next */
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description INVALID: the input is wrong; `details.problems` lists each field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AuthController_signIn: {
        parameters: {
            query?: {
                /** @description A path on this gateway (default /) */
                next?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description To the OpenID provider (or to the gateway’s public URL first) */
            303: {
                headers: {
                    /** @description Where to go next */
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAVAILABLE: a service behind the gateway is not reachable; try again */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AuthController_logoutPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description Not signed in: to /auth/logged-out */
            303: {
                headers: {
                    /** @description Where to go next */
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AuthController_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description With `Accept: application/json`: where to go to end the provider’s session too */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Logout"];
                };
            };
            /** @description Signed out: to the provider’s logout, or to /auth/logged-out */
            303: {
                headers: {
                    /** @description Where to go next */
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The form was not sent by this site (CSRF token missing or wrong) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    AuthController_session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"];
                };
            };
            /** @description UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Error: `{ error: { code, message, details } }` */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
}
