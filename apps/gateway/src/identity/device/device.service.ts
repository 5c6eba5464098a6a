import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Caller, type Role } from '@wharf/contracts';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../../gateway.config';
import { TokenService } from '../../tokens/token.service';
import { secret, sha256 } from '../cookies';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { DeviceRepository } from './device.repository';
import { formatUserCode, generateUserCode, normalizeUserCode } from './user-code';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** RFC 8628 §3.5 token endpoint answers. */
export type PollResult =
  | { ok: true; body: { access_token: string; token_type: 'Bearer'; expires_in: number; token_id: string }; user: Caller; tokenId: string }
  | { ok: false; error: 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token' | 'invalid_grant'; description: string };

export type Decision =
  | { ok: true; decision: 'approve' | 'deny'; deviceId: string }
  | { ok: false; status: number; message: string };

/**
 * CLI login that works over SSH (RFC 8628): the CLI gets a device code and a short user code, the
 * person approves the user code in any browser where they are signed in, and the CLI's next poll
 * receives a new personal access token.
 */
@Injectable()
export class DeviceService {
  private readonly publicUrl: string;

  constructor(
    private readonly repo: DeviceRepository,
    private readonly tokens: TokenService,
    private readonly limiter: RateLimiter,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {
    this.publicUrl = publicUrlOf(settings.gateway);
  }

  async start(clientId: string, ip: string | null): Promise<DeviceStart> {
    const g = this.settings.gateway;
    const deviceCode = `wharf_dc_${secret(32)}`;
    for (let attempt = 0; ; attempt++) {
      const userCode = generateUserCode();
      try {
        await this.repo.create({
          id: `dev_${randomBytes(8).toString('hex')}`,
          deviceCodeHash: sha256(deviceCode),
          userCode,
          clientId,
          intervalSeconds: g.DevicePollIntervalSeconds,
          ip,
          expiresAt: new Date(Date.now() + g.DeviceCodeTtlSeconds * 1000),
        });
        const verification = `${this.publicUrl}/auth/device/verify`;
        return {
          device_code: deviceCode,
          user_code: formatUserCode(userCode),
          verification_uri: verification,
          verification_uri_complete: `${verification}?user_code=${formatUserCode(userCode)}`,
          expires_in: g.DeviceCodeTtlSeconds,
          interval: g.DevicePollIntervalSeconds,
        };
      } catch (e) {
        if (attempt >= 3) throw e; // user code collision: try another
      }
    }
  }

  async poll(deviceCode: string, now = new Date()): Promise<PollResult> {
    const row = deviceCode ? await this.repo.byDeviceCode(sha256(deviceCode)) : null;
    if (!row) return { ok: false, error: 'invalid_grant', description: 'unknown device_code' };
    switch (row.status) {
      case 'DENIED':
        return { ok: false, error: 'access_denied', description: 'the sign-in was denied in the browser' };
      case 'LOCKED':
        return { ok: false, error: 'access_denied', description: 'the code was locked after too many wrong attempts; run the login again' };
      case 'CONSUMED':
        return { ok: false, error: 'invalid_grant', description: 'this device_code was already used' };
    }
    if (row.expiresAt <= now && row.status === 'PENDING') return { ok: false, error: 'expired_token', description: 'the code expired; run the login again' };
    if (row.status === 'APPROVED') {
      if (!(await this.repo.transition(row.id, 'APPROVED', 'CONSUMED'))) return { ok: false, error: 'invalid_grant', description: 'this device_code was already used' };
      const user: Caller = { sub: row.approvedSub!, name: row.approvedName!, roles: row.approvedRoles as Role[] };
      const t = await this.tokens.createForDevice(user, now);
      await this.repo.setTokenId(row.id, t.id);
      const expiresIn = t.expiresAt ? Math.round((Date.parse(t.expiresAt) - now.getTime()) / 1000) : 0;
      return { ok: true, body: { access_token: t.token, token_type: 'Bearer', expires_in: expiresIn, token_id: t.id }, user, tokenId: t.id };
    }
    const tooEarly = !!row.lastPolledAt && now.getTime() - row.lastPolledAt.getTime() < row.intervalSeconds * 1000;
    await this.repo.polled(row, now, tooEarly);
    return tooEarly
      ? { ok: false, error: 'slow_down', description: `poll at most every ${row.intervalSeconds + 5} s` }
      : { ok: false, error: 'authorization_pending', description: 'waiting for the user to approve in the browser' };
  }

  /** The signed-in user approves or denies the request shown by a user code. Wrong codes are counted and limited. */
  async decide(user: Caller, userCodeInput: unknown, decision: 'approve' | 'deny', ip: string | null): Promise<Decision> {
    const keys = [`ip:${ip}`, `user:${user.sub}`];
    this.limiter.check('device-failure', keys);
    const code = normalizeUserCode(userCodeInput);
    const row = code ? await this.repo.byUserCode(code) : null;
    if (!row || row.expiresAt <= new Date()) {
      // only the code tried (when it exists) is charged; every other pending code stays as it is
      if (row) await this.repo.countFailure(row.userCode, this.settings.gateway.DeviceCodeMaxFailedAttempts);
      try {
        this.limiter.consume('device-failure', keys);
      } catch {
        // this was the last allowed wrong code: the next attempt is refused by check()
      }
      return { ok: false, status: 400, message: 'No pending sign-in has this code. Check the code in your terminal (it expires after a few minutes).' };
    }
    if (row.status === 'LOCKED') return { ok: false, status: 400, message: 'This code was locked after too many wrong attempts. Run the login in your terminal again.' };
    if (row.status !== 'PENDING') return { ok: false, status: 400, message: 'This code was already used.' };
    const changed = await this.repo.transition(row.id, 'PENDING', decision === 'approve' ? 'APPROVED' : 'DENIED', decision === 'approve' ? { approvedBy: user } : {});
    if (!changed) return { ok: false, status: 409, message: 'This code was used or locked meanwhile.' };
    return { ok: true, decision, deviceId: row.id };
  }
}
