import { statSync } from 'node:fs';
import path from 'node:path';
import { buildBundle, startWharf, type RunningSystem } from '@wharf/testing';
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';

jest.setTimeout(180_000);

/**
 * Identity end to end, as `pnpm start` runs it (dev OpenID provider included): a visitor signs in
 * with the browser and may not import; a full-access user gets a CLI token through device login
 * (HTTP polling, approval in Chromium) and imports; the admin reads who did what in the audit log.
 */
describe('identity through pnpm start', () => {
  let sys: RunningSystem;
  let browser: Browser;

  beforeAll(async () => {
    [sys, browser] = await Promise.all([
      startWharf(),
      launchChromium(),
    ]);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    if (sys) expect(await sys.stop()).toBe(130); // 128 + SIGINT, as the tour expects
  });

  const signIn = async (page: Page, user: string, next: string) => {
    await page.goto(`${sys.gateway}/auth/login?next=${encodeURIComponent(next)}`);
    await page.fill('#username', user);
    await page.fill('#password', sys.devUsers[user]!);
    await Promise.all([page.waitForURL((u: URL) => u.origin === sys.gateway), page.click('button[type=submit]')]);
  };
  const bundle = () => buildBundle({ app: { name: 'identity-e2e', version: '1.0.0', title: 'Identity E2E' } });

  it('prints the OpenID provider with the other endpoints', () => {
    expect(sys.output.some((l) => l.startsWith(`OpenID provider: ${sys.idp}`))).toBe(true);
  });

  it('generates the dev users\' passwords (printed on the first start) and every credential into the data dir, readable by Wharf only', () => {
    expect(Object.keys(sys.devUsers).sort()).toEqual(['admin', 'alice', 'bob', 'vic']);
    for (const [user, password] of Object.entries(sys.devUsers)) {
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(password).not.toBe(user);
    }
    for (const f of ['dev-idp/passwords.json', 'nats-passwords.json', 'nats-server.conf', 'internal-secret', 'dev-idp-client-secret']) {
      expect([f, statSync(path.join(sys.dataDir, f)).mode & 0o777]).toEqual([f, 0o600]);
    }
  });

  it('runs NATS that refuses clients without credentials', async () => {
    const url = sys.output.map((l) => /^NATS: (\S+)/.exec(l)?.[1]).find(Boolean)!;
    expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    // the NATS protocol by hand: CONNECT without credentials, then PING
    const u = new URL(url.replace(/^nats:/, 'http:'));
    const answer = await new Promise<string>((resolve, reject) => {
      let got = '';
      const s = net.connect({ host: u.hostname, port: Number(u.port) }, () => s.write('CONNECT {"verbose":false}\r\nPING\r\n'));
      s.on('data', (d) => (got += String(d)));
      s.on('close', () => resolve(got));
      s.on('error', reject);
      s.setTimeout(5000, () => s.destroy());
    });
    expect(answer).toMatch(/-ERR 'Authorization Violation'/);
    expect(answer).not.toMatch(/PONG/);
  });

  it('signs a visitor in with the browser; the visitor may not import (403)', async () => {
    const page = await browser.newPage();
    await signIn(page, 'vic', '/api/v1/me');
    expect(JSON.parse((await page.textContent('body'))!)).toMatchObject({ name: 'vic', roles: ['visitor'], auth: { kind: 'session' } });
    const zip = Array.from(await bundle());
    const status = await page.evaluate(async (bytes: number[]) => {
      const { csrfToken } = (await (await fetch('/auth/session')).json()) as { csrfToken: string };
      const r = await fetch('/api/v1/bundles', { method: 'POST', headers: { 'content-type': 'application/zip', 'x-csrf-token': csrfToken }, body: new Uint8Array(bytes) });
      return r.status;
    }, zip);
    expect(status).toBe(403);
    await page.close();
  });

  let token = '';
  it('gives the CLI a token over device login (no local browser), and the token imports', async () => {
    const start = (await (await fetch(`${sys.gateway}/auth/device`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=wharf-cli' })).json()) as {
      device_code: string; user_code: string; verification_uri_complete: string; interval: number;
    };
    // "another machine": a browser opens the URL the CLI printed
    const page = await browser.newPage();
    await page.goto(start.verification_uri_complete);
    await page.fill('#username', 'alice');
    await page.fill('#password', sys.devUsers.alice!);
    await Promise.all([page.waitForURL(/\/auth\/device\/verify/), page.click('button[type=submit]')]);
    await page.click('#approve');
    expect(await page.textContent('#result')).toContain('alice');
    await page.close();
    for (let i = 0; i < 20 && !token; i++) {
      await new Promise((r) => setTimeout(r, start.interval * 1000));
      const res = await fetch(`${sys.gateway}/auth/device/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: start.device_code }).toString(),
      });
      const body = (await res.json()) as { access_token?: string; error?: string };
      if (body.access_token) token = body.access_token;
      else expect(['authorization_pending', 'slow_down']).toContain(body.error);
    }
    expect(token).toMatch(/^wharf_pat_/);
    const imported = await fetch(`${sys.gateway}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await bundle()),
    });
    expect(imported.status).toBe(201);
  });

  it('shows the admin who did what in the audit log', async () => {
    const res = await fetch(`${sys.gateway}/api/v1/audit?action=app.import`, { headers: { authorization: `Bearer ${sys.adminToken}` } });
    const { items } = (await res.json()) as { items: { actor: { name: string }; outcome: string; target: string | null }[] };
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: expect.objectContaining({ name: 'alice' }), outcome: 'success', target: 'identity-e2e@1.0.0' }),
        expect.objectContaining({ actor: expect.objectContaining({ name: 'vic' }), outcome: 'denied' }),
      ]),
    );
    const logins = (await (await fetch(`${sys.gateway}/api/v1/audit?action=auth.login`, { headers: { authorization: `Bearer ${sys.adminToken}` } })).json()) as { items: unknown[] };
    expect(logins.items.length).toBeGreaterThanOrEqual(2);
  });
});
