import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LAUNCHER_STATE_FILE, type LauncherState } from '@wharf/contracts/launcher';
import { INTERNAL_TOKEN_HEADER, type LauncherStatus } from '@wharf/contracts/wire';
import { httpRequest } from './http-request';

export type ReportedStatus = LauncherStatus;

/** How long a progress status (INSTALLING, STARTING) waits before it is sent; a newer one replaces it. */
export const PROGRESS_DELAY_MS = 100;

/** Writes a file so that readers see the old or the new content, never half of it. */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * Reports each step to the scheduler. Only the newest status matters: reports are coalesced and
 * retried until delivered (the scheduler may be restarting), and rejected ones (401/403/404/409:
 * token expired, instance gone, newer generation) are dropped. With a state folder, the status is
 * also written to `launcher.json`, which the process driver reads even when HTTP is down.
 */
export class StatusReporter {
  private latest: { status: ReportedStatus; reason: string | null } | null = null;
  private sending = false;
  private delivered = true;
  private waiters: (() => void)[] = [];
  private stopped = false;
  private delay: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: {
      url?: string;
      token?: string;
      generation: number;
      stateDir?: string;
      /** The launch's request id (WHARF_REQUEST_ID), sent as X-Request-Id. */
      requestId?: string;
      log: (message: string) => void;
    },
  ) {}

  report(status: ReportedStatus, reason: string | null): void {
    this.latest = { status, reason };
    this.delivered = false;
    if (this.opts.stateDir) {
      try {
        const state: LauncherState = { generation: this.opts.generation, status, reason, pid: process.pid, at: new Date().toISOString() };
        writeFileAtomic(path.join(this.opts.stateDir, LAUNCHER_STATE_FILE), JSON.stringify(state));
      } catch {
        /* the state folder is gone: the instance is being terminated */
      }
    }
    if (!this.opts.url || !this.opts.token) {
      this.markDelivered();
      return;
    }
    // Steps that pass within PROGRESS_DELAY_MS are never sent: a start from the caches goes from
    // "Fetching bundle" to "Starting" in a few ms, and each report is an HTTP call, a record write
    // and an event to every router and gateway. RUNNING and FAILED go at once.
    if (status === 'RUNNING' || status === 'FAILED') {
      this.sendNow();
    } else if (!this.delay) {
      this.delay = setTimeout(() => this.sendNow(), PROGRESS_DELAY_MS);
      this.delay.unref();
    }
  }

  private sendNow(): void {
    if (this.delay) clearTimeout(this.delay);
    this.delay = null;
    void this.pump();
  }

  /** Waits until the newest report is delivered, at most `ms`. */
  async flush(ms: number): Promise<void> {
    if (this.delivered) return;
    if (this.delay) this.sendNow();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.delay) clearTimeout(this.delay);
    this.delay = null;
    this.markDelivered();
  }

  private markDelivered(): void {
    this.delivered = true;
    for (const w of this.waiters.splice(0)) w();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    let delay = 250;
    try {
      while (!this.stopped && !this.delivered && this.latest) {
        const sent = this.latest;
        const outcome = await this.post(sent);
        if (this.latest !== sent) continue; // superseded while in flight: send the newer one
        if (outcome === 'ok' || outcome === 'rejected') {
          this.markDelivered();
          break;
        }
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, 2000);
      }
    } finally {
      this.sending = false;
    }
  }

  private async post(r: { status: ReportedStatus; reason: string | null }): Promise<'ok' | 'rejected' | 'retry'> {
    try {
      const res = await httpRequest(this.opts.url!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [INTERNAL_TOKEN_HEADER]: this.opts.token!,
          // the scheduler logs the report as part of the request that started this launch
          ...(this.opts.requestId ? { 'x-request-id': this.opts.requestId } : {}),
        },
        body: JSON.stringify({ generation: this.opts.generation, status: r.status, reason: r.reason }),
        timeoutMs: 5000,
      });
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return 'ok';
      if ([400, 401, 403, 404, 409].includes(status)) {
        this.opts.log(`the scheduler refused status ${r.status} (HTTP ${status}); not retrying`);
        return 'rejected';
      }
      return 'retry';
    } catch {
      return 'retry';
    }
  }
}
