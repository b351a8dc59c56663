import type { PolicyDocument } from '../../shared/policy.js';
import type { ApprovalKind, ApprovalRequest } from '../store/index.js';

export type PolicyContent = Omit<PolicyDocument, 'version' | 'issuedAt'>;

/** How an approved request of one kind changes the policy. Pure: returns the new content. */
export type PolicyEffect = (policy: PolicyContent, request: ApprovalRequest) => PolicyContent;

/**
 * One effect per request kind. The removable-media and software issues own their effects; until
 * a kind's effect exists, approving it is refused rather than silently doing nothing.
 */
export const POLICY_EFFECTS: Record<ApprovalKind, PolicyEffect> = {
  media: () => {
    throw new Error('approving removable-media requests is not available yet');
  },
  software: () => {
    throw new Error('approving software requests is not available yet');
  },
};
