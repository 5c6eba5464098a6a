import { Anchor, Button, Group, Text } from '@mantine/core';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { NavLink, Link, useLocation } from 'react-router';
import { api, browser, errorMessage, type SignedIn } from '../api/client';

/** The main navigation; visitors only browse and run what they are shown, so they get no Import and no Secrets. */
const navFor = (roles: string[]) => [
  { to: '/', label: 'Catalog', end: true },
  { to: '/instances', label: 'My instances', end: false },
  ...(roles.some((r) => r === 'admin' || r === 'full-access')
    ? [
        { to: '/import', label: 'Import', end: false },
        { to: '/secrets', label: 'Secrets', end: false },
      ]
    : []),
  ...(roles.includes('admin') ? [{ to: '/admin', label: 'Admin', end: false }] : []),
];

/**
 * Header (name, navigation, the signed-in user and sign-out), a skip link, and the page; when a
 * new page replaces the control that had the focus, the focus moves to the page's content.
 */
export function Shell({ session, children }: { session: SignedIn; children: ReactNode }) {
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const signOut = async () => {
    setSigningOut(true);
    setError(null);
    try {
      const { data, response } = await api.POST('/auth/logout', { headers: { Accept: 'application/json', 'X-CSRF-Token': session.csrfToken } });
      browser.assign(response.ok && data ? data.logoutUrl : '/auth/logged-out');
    } catch (e) {
      setError(errorMessage(e));
      setSigningOut(false);
    }
  };
  const role = session.user.roles.join(', ');
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const shown = useRef(pathname);
  useEffect(() => {
    if (shown.current === pathname) return;
    shown.current = pathname;
    // the control that led to another page (a card, Run, a dialog's button) went with the old page:
    // the focus goes to the new page's content rather than being lost to the document
    if (!document.activeElement || document.activeElement === document.body) main.current?.focus({ preventScroll: true });
  }, [pathname]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="shell-header">
        <Group gap="lg" wrap="nowrap" className="shell-brand">
          <Anchor component={Link} to="/" className="brand" underline="never" aria-label="Wharf, home">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <span>Wharf</span>
          </Anchor>
          <nav aria-label="Main">
            <ul className="nav-list">
              {navFor(session.user.roles).map((n) => (
                <li key={n.to}>
                  <NavLink to={n.to} end={n.end} className="nav-link">
                    {n.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        </Group>
        <Group gap="sm" wrap="nowrap" className="shell-user">
          <NavLink to="/me" className="nav-link user-name" title={`Signed in as ${session.user.name} (${role}): your tokens and usage`}>
            <span className="visually-hidden">Signed in as </span>
            <strong>{session.user.name}</strong>{' '}
            <Text span size="xs" c="dimmed">
              {role}
            </Text>
          </NavLink>
          <Button size="xs" variant="default" onClick={signOut} loading={signingOut}>
            Sign out
          </Button>
        </Group>
      </header>
      {error && (
        <Text role="alert" c="red" px="md">
          Sign-out failed: {error}
        </Text>
      )}
      <main id="main" ref={main} tabIndex={-1} className="shell-main">
        {children}
      </main>
    </>
  );
}
