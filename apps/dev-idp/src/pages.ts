/** HTML of the dev provider's own pages (login form, logout confirmation, errors). Every value is escaped. */
export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px;color:#1d2330}
main{max-width:360px;margin:0 auto;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:24px 28px}
h1{font-size:1.25rem;margin:0 0 4px}p.sub{color:#5b6475;margin:0 0 20px;font-size:.9rem}
label{display:block;font-size:.85rem;margin:12px 0 4px}input{width:100%;box-sizing:border-box;padding:8px;font-size:1rem;border:1px solid #c3c8d2;border-radius:4px}
button{margin-top:18px;width:100%;padding:9px;font-size:1rem;border:0;border-radius:4px;background:#2458d6;color:#fff;cursor:pointer}
button.secondary{background:#e6e8ee;color:#1d2330;margin-top:8px}.error{color:#b3261e;font-size:.9rem}.note{color:#5b6475;font-size:.8rem;margin-top:18px}
</style></head><body><main>${body}</main></body></html>`;
}

export function loginPage(opts: { action: string; clientId: string; error?: string; username?: string }): string {
  return page(
    'Sign in — Wharf dev identity provider',
    `<h1>Sign in</h1><p class="sub">to <b>${esc(opts.clientId)}</b> with the Wharf development identity provider</p>
${opts.error ? `<p class="error" role="alert">${esc(opts.error)}</p>` : ''}
<form method="post" action="${esc(opts.action)}" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" required autofocus value="${esc(opts.username ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<p class="note">Development only: users and passwords come from <code>[DevIdp] Users</code>. Use Keycloak in production.</p>`,
  );
}

export function logoutPage(form: string, host: string): string {
  return page(
    'Sign out — Wharf dev identity provider',
    `<h1>Sign out?</h1><p class="sub">End your session at ${esc(host)}.</p>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button class="secondary" type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export const loggedOutPage = () => page('Signed out', '<h1>Signed out</h1><p class="sub">You have signed out of the identity provider.</p>');

export const errorPage = (out: Record<string, unknown>) =>
  page(
    'Error — Wharf dev identity provider',
    `<h1>Something went wrong</h1>${Object.entries(out)
      .map(([k, v]) => `<p><b>${esc(k)}</b>: ${esc(v)}</p>`)
      .join('')}`,
  );
