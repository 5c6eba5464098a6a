/** The steps the progress page lists, in order. */
export const STEPS = ['Fetching bundle', 'Installing dependencies', 'Starting'] as const;
export type Step = (typeof STEPS)[number];

export interface Progress {
  instanceId: string;
  step: Step;
  /** Steps that were skipped (no requirements → no install). */
  skipped: Step[];
  /** Recent output of the current step (pip's output while installing). */
  output: string[];
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page served on the public port until the app listens; reloads itself every 2 s. */
export function renderProgressPage(p: Progress): string {
  const current = STEPS.indexOf(p.step);
  const items = STEPS.map((s, i) => {
    const state = p.skipped.includes(s) ? 'skipped' : i < current ? 'done' : i === current ? 'current' : 'pending';
    const mark = { done: '✓', current: '…', pending: '·', skipped: '–' }[state];
    return `<li class="${state}">${mark} ${escape(s)}${state === 'skipped' ? ' (nothing to do)' : ''}</li>`;
  }).join('');
  const output = p.output.length ? `<pre>${escape(p.output.join('\n'))}</pre>` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Starting ${escape(p.instanceId)}…</title>
<style>body{font:15px system-ui,sans-serif;margin:3em auto;max-width:46em;color:#222}
li{list-style:none;margin:.3em 0}.current{font-weight:600}.pending,.skipped{color:#888}
pre{background:#f4f4f4;padding:1em;overflow:auto;max-height:24em;font-size:12px}</style></head>
<body><h1>Starting your app</h1><ol>${items}</ol>${output}
<p>This page reloads by itself; your app appears here as soon as it is up.</p></body></html>
`;
}
