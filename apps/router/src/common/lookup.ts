import { unavailable, WharfError, type Caller, type ErrorCode, type RequestContract, type RequestOf, type ResponseOf } from '@wharf/contracts';
import type { RpcClient } from '@wharf/nats';

/**
 * A NATS request from the router's request path: fails at once (UNAVAILABLE → 503 + Retry-After)
 * while NATS is down instead of waiting out the timeout, so no browser is left hanging.
 */
export function lookup<C extends RequestContract>(rpc: RpcClient, contract: C, body: RequestOf<C>, caller: Caller | null, timeoutMs: number): Promise<ResponseOf<C>> {
  if (!rpc.isConnected()) return Promise.reject(unavailable(`NATS is not reachable (${contract.subject})`));
  return rpc.rpc(contract, body, caller, { timeoutMs });
}

/** `lookup` where a refusal with one of `refusals` is the answer "no" (null); any other error is thrown. */
export async function lookupOrNull<C extends RequestContract>(
  rpc: RpcClient,
  contract: C,
  body: RequestOf<C>,
  caller: Caller | null,
  timeoutMs: number,
  refusals: readonly ErrorCode[],
): Promise<ResponseOf<C> | null> {
  try {
    return await lookup(rpc, contract, body, caller, timeoutMs);
  } catch (e) {
    if (WharfError.is(e) && refusals.includes(e.code)) return null;
    throw e;
  }
}
