import type { PromptAnswer, UserInterface } from '../ui.js';

/**
 * The headless agent's answer to removable-media prompts, given on the command line for labs and
 * end-to-end tests (`mamori-agent run --media-request <purpose>`): every prompt that offers the
 * answer's action is logged as usual and then answered with it. Without the option nothing changes.
 */
export function answeringUserInterface(base: UserInterface, answer: PromptAnswer): UserInterface {
  return {
    notify: (notice) => base.notify(notice),
    lang: () => base.lang(),
    prompt: async (prompt) => {
      await base.prompt(prompt);
      return prompt.actions.some((a) => a.id === answer.action) ? answer : null;
    },
  };
}
