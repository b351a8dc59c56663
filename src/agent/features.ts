import type { AgentService } from './services.js';

/**
 * The features the agent runs (removable-media control, software control). Each lives in its own
 * folder and plugs in here; the orchestrator only knows the AgentService lifecycle.
 */
export function agentServices(): AgentService[] {
  return [];
}
