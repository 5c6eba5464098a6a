import { unavailable, type Caller, type RequestContract, type RequestOf, type ResponseOf } from '@wharf/contracts';
import type { RpcClient } from '@wharf/nats';

/**
 * A NATS request from the router's request path: fails at once (UNAVAILABLE → 503 + Retry-After)
 * while NATS is down instead of waiting out the timeout, so no browser is left hanging.
 */
export function lookup<C extends RequestContract>(rpc: RpcClient, contract: C, body: RequestOf<C>, caller: Caller | null, timeoutMs: number): Promise<ResponseOf<C>> {
  if (!rpc.isConnected()) return Promise.reject(unavailable(`NATS is not reachable (${contract.subject})`));
  return rpc.rpc(contract, body, caller, { timeoutMs });
}
