import { t, type Lang } from '../../shared/i18n/index.js';
import type { DenialReason, MediaDecision } from '../../shared/media/evaluate.js';
import { mediumName, type MediumIdentity } from '../../shared/media/identity.js';
import type { UserNotice, UserPrompt } from '../ui.js';

/**
 * What the person at the PC is told about a medium: short notices for registered media, a prompt
 * with 使用申請 and 取り外す for the others. Plain words, Japanese by default (GLOSSARY terms).
 */

export const REQUEST_ACTION = 'request';
export const EJECT_ACTION = 'eject';

/** A medium's name for people: its product name and capacity, or its kind. */
export function displayName(identity: MediumIdentity, lang: Lang): string {
  return mediumName(identity, t(lang, `media.kind.${identity.kind}`));
}

const topic = (instance: string) => `media:${instance}`;

/** The notice for a medium that may be used (registered, or registered read-only). */
export function allowedNotice(identity: MediumIdentity, instance: string, decision: MediaDecision, lang: Lang, readOnlyEnforced: boolean): UserNotice {
  const name = displayName(identity, lang);
  const number = decision.ledgerNumber ?? '';
  if (decision.verdict === 'read-only') {
    return {
      topic: topic(instance),
      title: t(lang, 'media.readOnly.title', { number }),
      body: t(lang, readOnlyEnforced ? 'media.readOnly.enforcedBody' : 'media.readOnly.body', { name }),
      severity: 'info',
    };
  }
  return { topic: topic(instance), title: t(lang, 'media.registered.title', { number }), body: t(lang, 'media.registered.body', { name }), severity: 'info' };
}

/**
 * The prompt for a medium that may not be used: why (in the reason's words), what the agent did
 * (recorded only, ejected, could not eject), and the two choices.
 */
export function deniedPrompt(
  identity: MediumIdentity,
  instance: string,
  decision: MediaDecision,
  lang: Lang,
  context: { osUser: string | null; outcome: 'warned' | 'blocked' | 'block-failed' | 'read-only-failed' },
): UserPrompt {
  const name = displayName(identity, lang);
  const reason = decision.reason as DenialReason;
  const unregistered = reason === 'unregistered' || reason === 'missing-serial' || reason === 'ambiguous-serial';
  const why = t(lang, `media.reason.${reason}`, { name, number: decision.ledgerNumber ?? '', until: decision.validUntil ?? '', user: context.osUser ?? '?' });
  const what = {
    warned: t(lang, 'media.mode.warn'),
    blocked: t(lang, 'media.mode.block'),
    'block-failed': t(lang, 'media.mode.blockFailed'),
    'read-only-failed': `${t(lang, 'media.mode.readOnlyFailed')}${t(lang, 'media.mode.block')}`,
  }[context.outcome];
  return {
    topic: topic(instance),
    title: t(lang, unregistered ? 'media.unregistered.title' : 'media.notAllowed.title'),
    body: `${why}\n${what}`,
    severity: context.outcome === 'warned' ? 'warning' : 'critical',
    actions: [
      { id: REQUEST_ACTION, label: t(lang, 'media.action.request') },
      { id: EJECT_ACTION, label: t(lang, 'media.action.eject') },
    ],
    asksForRequest: true,
  };
}

export function requestedNotice(instance: string, requestId: string, lang: Lang): UserNotice {
  return { topic: topic(instance), title: t(lang, 'media.requested.title'), body: t(lang, 'media.requested.body', { id: requestId }), severity: 'info' };
}

export function requestQueuedNotice(instance: string, requestId: string, lang: Lang): UserNotice {
  return { topic: topic(instance), title: t(lang, 'media.requestQueued.title'), body: t(lang, 'media.requestQueued.body', { id: requestId }), severity: 'info' };
}

export function requestRefusedNotice(instance: string, reason: string, lang: Lang): UserNotice {
  return { topic: topic(instance), title: t(lang, 'media.requestRefused.title'), body: t(lang, 'media.requestRefused.body', { reason }), severity: 'warning' };
}

export function approvedNotice(identity: MediumIdentity, instance: string, ledgerNumber: string, lang: Lang, replug: boolean): UserNotice {
  const name = displayName(identity, lang);
  return { topic: topic(instance), title: t(lang, 'media.approved.title'), body: t(lang, replug ? 'media.approved.replug' : 'media.approved.body', { name, number: ledgerNumber }), severity: 'info' };
}

export function ejectedNotice(identity: MediumIdentity, instance: string, lang: Lang, ok: boolean): UserNotice {
  const name = displayName(identity, lang);
  return ok
    ? { topic: topic(instance), title: t(lang, 'media.ejected.title'), body: t(lang, 'media.ejected.body', { name }), severity: 'info' }
    : { topic: topic(instance), title: t(lang, 'media.ejectFailed.title'), body: t(lang, 'media.ejectFailed.body', { name }), severity: 'warning' };
}
