import { natsPermissions, PLATFORM_SERVICES, type PlatformService } from '@wharf/contracts';

/**
 * The `authorization { users = [...] }` block of a nats-server config: one user per platform
 * service, named after it, with the subject permissions of SERVICE_ROLES (libs/contracts). Nobody
 * else may connect; a service may answer only its own subjects and publish only its own events.
 */
export function natsServerAuthorization(passwords: Readonly<Record<PlatformService, string>>): string {
  const users = PLATFORM_SERVICES.map((service) => {
    const p = natsPermissions(service);
    const password = passwords[service];
    if (!/^[A-Za-z0-9_-]{16,}$/.test(password)) {
      throw new Error(`the NATS password of ${service} must be at least 16 letters, digits, - or _`);
    }
    return {
      user: service,
      password,
      permissions: {
        publish: { allow: p.publish },
        subscribe: { allow: p.subscribe },
        ...(p.allowResponses ? { allow_responses: { max: p.allowResponses.max, expires: `${p.allowResponses.expiresSeconds}s` } } : {}),
      },
    };
  });
  // The nats-server config format reads JSON values.
  return `authorization {\n  users = ${JSON.stringify(users, null, 2).replace(/\n/g, '\n  ')}\n}\n`;
}
