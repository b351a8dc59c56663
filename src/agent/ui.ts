import type { Lang } from '../shared/i18n/index.js';

/**
 * How the agent core talks to the person at the PC. The Electron shell implements it with tray
 * notices and windows; the headless CLI logs prompts and answers them from its options. The core
 * never knows which.
 */
export interface UserInterface {
  /** A short notice that needs no answer (e.g. 登録媒体 0012 が接続されました). */
  notify(notice: UserNotice): void;
  /**
   * A prompt with choices. Resolves with the choice, or null when nobody answered (headless, or
   * the window was closed). Never rejects.
   */
  prompt(prompt: UserPrompt): Promise<PromptAnswer | null>;
  /** The UI language in force. */
  lang(): Lang;
}

export interface UserNotice {
  /** Stable id of what it is about (a medium key, a process), so a newer notice replaces an older one. */
  topic: string;
  title: string;
  body: string;
  severity: 'info' | 'warning' | 'critical';
}

export interface UserPrompt extends UserNotice {
  /** The actions offered, e.g. request (使用申請) and eject (取り外す). */
  actions: Array<{ id: string; label: string }>;
  /** Ask for a purpose and period when the `request` action is chosen. */
  asksForRequest: boolean;
}

export interface PromptAnswer {
  action: string;
  /** 使用目的 and 使用期限, when the person asked for approval. */
  request?: { reason: string; until: string | null };
}

/** The headless agent's UI: every notice and prompt becomes a log line; prompts are not answered. */
export function loggingUserInterface(log: (line: Record<string, unknown>) => void, lang: Lang): UserInterface {
  return {
    notify: (notice) => log({ ui: 'notice', ...notice }),
    prompt: async (prompt) => {
      log({ ui: 'prompt', ...prompt });
      return null;
    },
    lang: () => lang,
  };
}
