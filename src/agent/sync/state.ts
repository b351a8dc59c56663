import { hash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SectionHashes, SoftwareSection, hashSection, type SoftwareItem } from '../../shared/inventory/index.js';
import { AgentId, AgentKey } from '../../shared/protocol/agent-api.js';
import { SignedPolicy, type PolicyDocument } from '../../shared/policy.js';
import { isEd25519PublicKey, verifySignedPolicy } from '../policy/verify.js';

/**
 * The agent's state directory: who it is (agent id and key from enrolment, the collector's policy
 * key), what the collector has acknowledged (section hashes), and the policy in force. Each is one
 * small JSON file written atomically (temp file, fsync, rename, directory fsync), so a crash or
 * SIGKILL leaves either the old or the new file, never half of one. A file that is corrupted
 * anyway (disk error, someone's editor) is moved aside and treated as absent: the agent then
 * enrols again or resends its inventory, which the collector handles. Reading never throws.
 */

const FILES = {
  identity: 'identity.json',
  acknowledged: 'acknowledged.json',
  policy: 'policy.json',
} as const;
type StateFile = (typeof FILES)[keyof typeof FILES];

/** Policies can be 32 MiB of text; anything far larger is not ours. */
const MAX_STATE_FILE_BYTES = 64 * 1024 * 1024;
/** Corrupted copies kept per file for diagnosis; older ones are deleted. */
const KEEP_CORRUPT_COPIES = 3;
/** Temp files older than this are leftovers of a crash mid-write. */
const STALE_TEMP_MS = 60_000;
const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

/** What enrolment gave this agent. */
export interface AgentIdentity {
  agentId: string;
  agentKey: string;
  /** The collector's Ed25519 public key (SPKI PEM): the only key whose policies are applied. */
  policyPublicKey: string;
  /** The collector URL the agent enrolled with; when the managed config names another, enrol again. */
  serverUrl: string;
  enrolledAt: string;
}

/** The policy in force, re-verified when loaded. */
export interface AppliedPolicy {
  document: PolicyDocument;
  signed: SignedPolicy;
  etag: string | null;
}

/** A state file that could not be used and was moved aside (or could not even be moved). */
export interface StateRecovery {
  file: string;
  movedTo: string | null;
  reason: string;
}

const IdentityFile = z.object({
  formatVersion: z.literal(1),
  agentId: AgentId,
  agentKey: AgentKey,
  policyPublicKey: z.string().min(1).max(4096).refine(isEd25519PublicKey, 'not an Ed25519 public key'),
  serverUrl: z.string().min(1).max(2048),
  enrolledAt: z.iso.datetime(),
});

// The software list goes with its hash: the next upload can then send a change of a few items.
const AcknowledgedFile = z.object({ formatVersion: z.literal(1), hashes: SectionHashes, software: SoftwareSection.optional() });

/** What the collector last acknowledged. */
export interface Acknowledged {
  hashes: SectionHashes;
  /** The software list whose hash is `hashes.software`; null when unknown (send the whole list). */
  software: SoftwareItem[] | null;
}

const PolicyFile = z.object({ formatVersion: z.literal(1), signed: SignedPolicy, etag: z.string().max(1024).nullable() });

type Loaded<T> = { status: 'absent' } | { status: 'ok'; value: T } | { status: 'corrupt' };

export interface AgentStateOptions {
  /** Told about every file moved aside, so the agent can log it. */
  onRecovered?: (recovery: StateRecovery) => void;
}

/** The agent's state directory. Open it with `AgentState.open`. */
export class AgentState {
  /**
   * The identity and policy files as last parsed, by the SHA-256 of their bytes: they are read on
   * every sync round (several times), and the same bytes parse to the same value, so an unchanged
   * file is not decoded and schema-checked again. Any change of the bytes (the agent's own write,
   * an edit on disk) is parsed and checked in full.
   */
  private readonly parsed = new Map<StateFile, { digest: string; value: unknown }>();
  /**
   * The stored policy as last verified: the parsed file it came from (the same object while its
   * bytes are unchanged) and the key it was verified with. The same signed text under the same key
   * verifies the same way, so the Ed25519 check and the policy's schema run once per stored policy,
   * not on every round.
   */
  private verified: { file: unknown; publicKey: string; value: AppliedPolicy } | null = null;

  private constructor(
    readonly dir: string,
    private readonly onRecovered: (recovery: StateRecovery) => void,
  ) {}

  /** Creates the directory if needed (mode 0700) and clears temp files a crash left behind. */
  static async open(dir: string, options: AgentStateOptions = {}): Promise<AgentState> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const state = new AgentState(dir, options.onRecovered ?? (() => {}));
    await state.removeStaleTempFiles();
    return state;
  }

  /** The enrolled identity, or null when not enrolled (or when the file was unusable). */
  async identity(): Promise<AgentIdentity | null> {
    const loaded = await this.load(FILES.identity, IdentityFile, true);
    if (loaded.status !== 'ok') return null;
    const { formatVersion: _v, ...identity } = loaded.value;
    return identity;
  }

  /**
   * Stores a new identity (after enrolment). Acknowledged hashes belong to the previous agent id
   * and are dropped when it changes; the applied policy is dropped when the signing key changes,
   * since it can no longer be verified.
   */
  async saveIdentity(identity: AgentIdentity): Promise<void> {
    const record = IdentityFile.parse({ formatVersion: 1, ...identity });
    const previous = await this.identity();
    await this.writeAtomic(FILES.identity, JSON.stringify(record));
    if (previous && previous.agentId !== identity.agentId) await this.remove(FILES.acknowledged);
    if (previous && previous.policyPublicKey.trim() !== identity.policyPublicKey.trim()) await this.remove(FILES.policy);
  }

  /** Forgets the enrolment (the collector said the key is unknown): the next round enrols again. */
  async forgetIdentity(): Promise<void> {
    await this.remove(FILES.identity);
    await this.remove(FILES.acknowledged);
  }

  /** The section hashes the collector last acknowledged; empty (send everything) when unknown. */
  async acknowledgedHashes(): Promise<SectionHashes> {
    return (await this.acknowledged()).hashes;
  }

  /** The section hashes and the software list the collector last acknowledged (a list that does not match its hash is dropped). */
  async acknowledged(): Promise<Acknowledged> {
    const loaded = await this.load(FILES.acknowledged, AcknowledgedFile);
    if (loaded.status !== 'ok') return { hashes: {}, software: null };
    const { hashes, software } = loaded.value;
    const matches = software !== undefined && hashes.software !== undefined && hashSection('software', software) === hashes.software;
    return { hashes, software: matches ? software : null };
  }

  /** Records what the collector acknowledged: every section hash, and the software list when the scan had one. */
  async saveAcknowledgedHashes(hashes: SectionHashes, software: SoftwareItem[] | null = null): Promise<void> {
    const record = AcknowledgedFile.parse({ formatVersion: 1, hashes, ...(software && hashes.software ? { software } : {}) });
    await this.writeAtomic(FILES.acknowledged, JSON.stringify(record));
  }

  /**
   * The policy in force, verified again against the enrolled key (a file is only as trustworthy
   * as its signature). Null when there is none, no identity to verify it with, or it fails.
   */
  async appliedPolicy(): Promise<AppliedPolicy | null> {
    const identity = await this.identity();
    if (!identity) return null;
    const loaded = await this.load(FILES.policy, PolicyFile, true);
    if (loaded.status !== 'ok') return null;
    const known = this.verified;
    if (known && known.file === loaded.value && known.publicKey === identity.policyPublicKey) return known.value;
    const verified = verifySignedPolicy(loaded.value.signed, identity.policyPublicKey, null);
    if (!verified.ok) {
      this.verified = null;
      this.parsed.delete(FILES.policy);
      await this.moveAside(FILES.policy, `the stored policy failed verification (${verified.refusal}): ${verified.message}`);
      return null;
    }
    const value = { document: verified.policy, signed: verified.signed, etag: loaded.value.etag };
    this.verified = { file: loaded.value, publicKey: identity.policyPublicKey, value };
    return value;
  }

  /** Stores a policy the caller has verified (verifySignedPolicy) and its ETag. */
  async saveAppliedPolicy(signed: SignedPolicy, etag: string | null): Promise<void> {
    await this.writeAtomic(FILES.policy, JSON.stringify(PolicyFile.parse({ formatVersion: 1, signed, etag })));
  }

  /** Reads and checks one state file; `remember`: keep what it parsed to, by its bytes' digest (see `parsed`). */
  private async load<T>(name: StateFile, schema: z.ZodType<T>, remember = false): Promise<Loaded<T>> {
    const path = join(this.dir, name);
    let text: string;
    let digest: string | null = null;
    try {
      const info = await stat(path);
      if (info.size > MAX_STATE_FILE_BYTES) {
        await this.moveAside(name, `larger than ${MAX_STATE_FILE_BYTES} bytes`);
        return { status: 'corrupt' };
      }
      const bytes = await readFile(path);
      if (remember) {
        digest = hash('sha256', bytes);
        const known = this.parsed.get(name);
        // Only a value that passed the schema is kept: its type is T.
        if (known && known.digest === digest) return { status: 'ok', value: known.value as T };
      }
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent' };
      await this.moveAside(name, `unreadable: ${(error as Error).message}`);
      return { status: 'corrupt' };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      await this.moveAside(name, `not JSON: ${(error as Error).message}`);
      return { status: 'corrupt' };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      await this.moveAside(name, `unexpected content: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
      return { status: 'corrupt' };
    }
    if (digest !== null) this.parsed.set(name, { digest, value: parsed.data });
    return { status: 'ok', value: parsed.data };
  }

  /** Renames a bad file to `<name>.corrupt-<time>` (kept for diagnosis) and reports it. Never throws. */
  private async moveAside(name: StateFile, reason: string): Promise<void> {
    const from = join(this.dir, name);
    const to = join(this.dir, `${name}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`);
    let movedTo: string | null = to;
    try {
      await rename(from, to);
    } catch {
      movedTo = null;
      await rm(from, { force: true }).catch(() => {});
    }
    this.onRecovered({ file: from, movedTo, reason });
    await this.pruneCorruptCopies(name).catch(() => {});
  }

  private async pruneCorruptCopies(name: StateFile): Promise<void> {
    const copies = (await readdir(this.dir)).filter((f) => f.startsWith(`${name}.corrupt-`)).sort();
    for (const old of copies.slice(0, Math.max(0, copies.length - KEEP_CORRUPT_COPIES))) {
      await rm(join(this.dir, old), { force: true });
    }
  }

  private async remove(name: StateFile): Promise<void> {
    await rm(join(this.dir, name), { force: true });
    await syncDirectory(this.dir);
  }

  private async removeStaleTempFiles(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    const now = Date.now();
    for (const name of names.filter((n) => TEMP_FILE.test(n))) {
      const path = join(this.dir, name);
      try {
        if (now - (await stat(path)).mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
      } catch {
        // gone already, or not ours to remove: harmless
      }
    }
  }

  /**
   * Replaces `name` with `text` so that after a crash at any point the file holds either the old
   * or the new content. Files are created 0600: the identity holds the agent key.
   */
  private async writeAtomic(name: StateFile, text: string): Promise<void> {
    const final = join(this.dir, name);
    const temp = join(this.dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await renameWithRetry(temp, final);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw error;
    }
    await syncDirectory(this.dir);
  }
}

/** Makes a rename durable. Best effort: Windows cannot open a directory for fsync (NTFS journals renames). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported on this platform/file system
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * rename(), retried briefly on EPERM/EBUSY: on Windows a virus scanner or indexer holding the
 * target open makes the replace fail for a moment.
 */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= 4 || (code !== 'EPERM' && code !== 'EBUSY')) throw error;
      await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
    }
  }
}
