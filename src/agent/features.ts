import { mediaService } from './media/service.js';
import type { AgentService } from './services.js';
import { SoftwareControlService } from './software/service.js';

/**
 * The features the agent runs (removable-media control, software control). Each lives in its own
 * folder and plugs in here; the orchestrator only knows the AgentService lifecycle.
 */
export function agentServices(): AgentService[] {
  return [new SoftwareControlService(), mediaService()];
}
