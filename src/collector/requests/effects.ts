import { z } from 'zod';
import { entryFromApprovedRequest } from '../../shared/media/ledger.js';
import type { ApprovalKind, ApprovalRequest } from '../store/index.js';
import type { PolicyContent } from '../policy/current.js';
import { approveSoftwareRequest } from '../policy/software-rules.js';

export type { PolicyContent };

/** How an approved request of one kind changes the policy. Pure: returns the new content. */
export type PolicyEffect = (policy: PolicyContent, request: ApprovalRequest) => PolicyContent;

/**
 * One effect per request kind: what an approval (承認) changes in the policy. An effect that cannot
 * express the request throws, and decideRequest then refuses the approval before recording it.
 */
export const POLICY_EFFECTS: Record<ApprovalKind, PolicyEffect> = {
  // The requested medium joins the ledger (外部記録媒体管理台帳) for the requester on the requesting PC,
  // for the requested period, read-write unless read-only was asked (shared/media/ledger.ts).
  media: (policy, request) => {
    if (policy.media.registered.some((e) => e.requestId === request.id)) return policy;
    let entry;
    try {
      entry = entryFromApprovedRequest(policy.media.registered, {
        requestId: request.id,
        subject: request.subject,
        requestedBy: request.requestedBy,
        deviceId: request.deviceId,
        period: request.period,
        at: request.decidedAt ?? request.createdAt,
      });
    } catch (error) {
      const details = error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, 3).join('; ') : String(error);
      throw new Error(`the request does not describe a removable medium (${details})`);
    }
    return { ...policy, media: { ...policy.media, registered: [...policy.media.registered, entry] } };
  },
  // An approving rule for exactly the requested title / binary (see policy/software-rules.ts).
  software: approveSoftwareRequest,
};
