import type { AgentEvent, EventType } from '../shared/events.js';
import type { InventoryDocument } from '../shared/inventory/index.js';
import type { PolicyDocument } from '../shared/policy.js';
import type { ApprovalRequestView, CreateApprovalRequest } from '../shared/protocol/agent-api.js';
import type { AgentLog } from './log.js';
import type { SyncFailure } from './sync/failure.js';
import type { UserInterface } from './ui.js';

/** What became of an approval request (申請) a person filed. */
export type ApprovalFiling =
  /** The collector has it. */
  | { status: 'sent'; view: ApprovalRequestView }
  /** The collector could not be reached (`failure` says why): it is kept and sent when it can be. */
  | { status: 'queued'; failure: SyncFailure }
  /** The collector refused it for good (malformed, or not this device's): the person must file again. */
  | { status: 'refused'; failure: SyncFailure };

/** What a feature of the agent (removable media, software control) is handed by the agent core. */
export interface ServiceContext {
  /** Records an event durably; it reaches the collector whenever the network allows. */
  record(type: EventType, payload: Record<string, unknown>, occurredAt?: Date): Promise<AgentEvent>;
  /**
   * Files an approval request (申請) with the collector. When the collector cannot be reached the
   * request waits in the durable outbox and goes with the next round that reaches it.
   */
  requestApproval(request: CreateApprovalRequest): Promise<ApprovalFiling>;
  ui: UserInterface;
  log: AgentLog;
  /** The OS user at the PC, when known. */
  osUser(): string | null;
  /** This PC's host name (for allowed-PC checks). */
  hostname(): string;
  /** The agent id once enrolled, else null. */
  agentId(): Promise<string | null>;
}

/**
 * A feature that runs inside the agent with a lifecycle: started once, told about every policy
 * in force (the stored one at start, then each newly verified one), stopped at shutdown.
 */
export interface AgentService {
  readonly name: string;
  start(context: ServiceContext): Promise<void>;
  applyPolicy(policy: PolicyDocument): Promise<void>;
  /** Optional: told about every freshly collected inventory (software control judges its software section). */
  inventoryCollected?(doc: InventoryDocument): Promise<void>;
  stop(): Promise<void>;
}
