import { currentPolicy, policyContent, updatePolicy } from '../policy/current.js';
import type { PolicyKeyPair } from '../policy/signing.js';
import { NotFoundError, type ApprovalDecision, type ApprovalRequest, type Store } from '../store/index.js';
import { POLICY_EFFECTS } from './effects.js';

export interface DecisionOutcome {
  request: ApprovalRequest;
  /** The policy version that carries the approval; null for a rejection. */
  policyVersion: number | null;
}

export { policyContent };

/**
 * Decides a pending request (申請 → 承認 / 却下). An approval changes the policy through the
 * request kind's effect (a media approval registers the medium for the requested period; a
 * software approval adds an approving rule) and publishes a new signed version, so agents pick it
 * up on their next policy check and re-evaluate. Every decision is written to the audit log.
 */
export async function decideRequest(
  store: Store,
  keys: PolicyKeyPair,
  id: string,
  decision: ApprovalDecision,
  decidedBy: string,
  comment: string | null,
): Promise<DecisionOutcome> {
  const pending = await store.getApprovalRequest(id);
  if (!pending) throw new NotFoundError('approval request');
  // Check that the approval can be expressed in the policy before recording the decision.
  if (decision === 'approved') POLICY_EFFECTS[pending.kind](policyContent((await currentPolicy(store, keys)).document), pending);
  const request = await store.decideApprovalRequest(id, decision, decidedBy, comment);
  let policyVersion: number | null = null;
  if (decision === 'approved') policyVersion = await publishWithEffect(store, keys, request);
  await store.appendAudit({
    actor: decidedBy,
    action: decision === 'approved' ? 'request.approve' : 'request.reject',
    target: request.id,
    details: { kind: request.kind, deviceId: request.deviceId, comment, policyVersion },
  });
  return { request, policyVersion };
}

/** Applies the request's effect to the newest policy and publishes it. */
async function publishWithEffect(store: Store, keys: PolicyKeyPair, request: ApprovalRequest): Promise<number> {
  return (await updatePolicy(store, keys, (content) => POLICY_EFFECTS[request.kind](content, request))).version;
}
