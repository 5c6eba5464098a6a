import { screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { appVersion, gatewayWith } from '../test/fake-api';
import { renderApp } from '../test/render';
import { CATALOG_FIRST_URL, PRELOADS, SESSION_URL } from './preload';

/** Every URL the UI asks for, as the browser would match it against a preload (path and query, in order). */
function recordUrls(): string[] {
  const urls: string[] = [];
  const inner = globalThis.fetch;
  vi.stubGlobal('fetch', (input: Request | string, init?: RequestInit) => {
    const u = new URL(typeof input === 'string' ? input : input.url, window.location.origin);
    urls.push(u.pathname + u.search);
    return inner(input, init);
  });
  return urls;
}

describe('the preloads the build declares (preload.json, sent by the gateway as Link headers)', () => {
  beforeEach(() => window.history.replaceState(null, '', '/'));

  it('are what the catalog page asks for first, URL for URL, so that the browser reuses them', async () => {
    gatewayWith([appVersion({ name: 'hello', title: 'Hello' })]);
    const urls = recordUrls();
    renderApp('/');
    await screen.findByRole('link', { name: 'Hello' });
    expect(PRELOADS).toEqual({ '*': [SESSION_URL], '/': [CATALOG_FIRST_URL] });
    expect(urls).toContain(SESSION_URL);
    expect(urls).toContain(CATALOG_FIRST_URL);
    expect(urls.filter((u) => u.startsWith('/api/v1/apps?'))[0]).toBe(CATALOG_FIRST_URL);
  });

  it('hold the session on every other page', async () => {
    gatewayWith([]);
    const urls = recordUrls();
    renderApp('/me');
    await screen.findByRole('heading', { level: 1 });
    expect(urls[0]).toBe(SESSION_URL);
    expect(urls.some((u) => u.startsWith('/api/v1/apps?'))).toBe(false);
  });
});
