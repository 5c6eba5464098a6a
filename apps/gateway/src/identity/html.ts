/** Small server-rendered pages for sign-in, sign-out and device approval. Every value is escaped. */
export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — Wharf</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px;color:#1d2330}
main{max-width:420px;margin:0 auto;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:24px 28px}
h1{font-size:1.3rem;margin:0 0 12px}p{line-height:1.45}.muted{color:#5b6475;font-size:.9rem}.error{color:#b3261e}
input{width:100%;box-sizing:border-box;padding:10px;font-size:1.3rem;letter-spacing:.15em;text-align:center;text-transform:uppercase;border:1px solid #c3c8d2;border-radius:4px}
.row{display:flex;gap:8px;margin-top:16px}button{flex:1;padding:10px;font-size:1rem;border:0;border-radius:4px;cursor:pointer;background:#2458d6;color:#fff}
button.secondary{background:#e6e8ee;color:#1d2330}code.big{font-size:1.4rem;letter-spacing:.12em}a{color:#2458d6}
</style></head><body><main>${body}</main></body></html>`;
}

export const messagePage = (title: string, message: string, link?: { href: string; text: string }) =>
  page(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>${link ? `<p><a href="${esc(link.href)}">${esc(link.text)}</a></p>` : ''}`);

export const logoutConfirmPage = (name: string, csrf: string) =>
  page(
    'Sign out',
    `<h1>Sign out of Wharf?</h1><p class="muted">Signed in as <b>${esc(name)}</b>.</p>
<form method="post" action="/auth/logout"><input type="hidden" name="csrf" value="${esc(csrf)}">
<div class="row"><button type="submit" id="sign-out">Sign out</button></div></form>`,
  );

export function deviceVerifyPage(opts: { name: string; csrf: string; userCode?: string; error?: string; done?: 'approved' | 'denied' }): string {
  if (opts.done === 'approved') {
    return page('Device approved', `<h1>Done</h1><p id="result">The device is signed in as <b>${esc(opts.name)}</b>. You can close this page and go back to your terminal.</p>`);
  }
  if (opts.done === 'denied') {
    return page('Device denied', `<h1>Denied</h1><p id="result">The sign-in request was denied. Nothing was given access.</p>`);
  }
  return page(
    'Sign in a device',
    `<h1>Sign in the Wharf CLI</h1>
<p class="muted">Signed in as <b>${esc(opts.name)}</b>. Enter the code your terminal shows, and approve only if you started <code>wharf login</code> yourself just now.</p>
${opts.error ? `<p class="error" role="alert" id="error">${esc(opts.error)}</p>` : ''}
<form method="post" action="/auth/device/verify" autocomplete="off">
<input type="hidden" name="csrf" value="${esc(opts.csrf)}">
<input name="user_code" id="user_code" required maxlength="12" placeholder="XXXX-XXXX" value="${esc(opts.userCode ?? '')}" aria-label="code">
<div class="row"><button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary" id="deny">Deny</button></div>
</form>`,
  );
}
