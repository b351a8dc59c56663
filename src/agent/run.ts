import { join } from 'node:path';
import { userInfo } from 'node:os';
import { t, type Lang } from '../shared/i18n/index.js';
import { Agent, summarizeRound } from './agent.js';
import { agentServices } from './features.js';
import { answeringUserInterface } from './media/headless.js';
import { loggingUserInterface } from './ui.js';
import { currentPlatform } from './collectors/platform.js';
import { loadAgentConfig, type ConfigError, type HeadlessOverrides } from './config/managed.js';
import { jsonLinesLog } from './log.js';
import { Outbox } from './outbox/index.js';
import { scan } from './scan.js';
import { CollectorClient } from './sync/client.js';
import { AgentState } from './sync/state.js';

export interface RunCliOptions {
  server?: string;
  enrollSecret?: string;
  state?: string;
  ca?: string;
  allowInsecureHttp?: boolean;
  once?: boolean;
  startupDelay?: number;
  /** Headless labs and tests: answer every removable-media prompt with 使用申請 and this purpose. */
  mediaRequest?: string;
  /** The 使用期限 asked for with --media-request (YYYY-MM-DD). */
  mediaRequestUntil?: string;
}

const CONFIG_MESSAGE_KEYS = {
  'not-found': 'config.notFound',
  unreadable: 'config.unreadable',
  'insecure-file': 'config.insecureFile',
  'invalid-json': 'config.invalidJson',
  invalid: 'config.invalid',
  'ca-unreadable': 'config.caUnreadable',
  'ca-invalid': 'config.caInvalid',
} as const;

function configMessage(lang: Lang, error: ConfigError): string {
  return t(lang, CONFIG_MESSAGE_KEYS[error.code], { path: error.path ?? '', details: error.details });
}

/** The headless UI: prompts are logged; with --media-request, media prompts are answered with 使用申請. */
function headlessUi(opts: RunCliOptions, base: ReturnType<typeof loggingUserInterface>): ReturnType<typeof loggingUserInterface> {
  if (!opts.mediaRequest) return base;
  return answeringUserInterface(base, { action: 'request', request: { reason: opts.mediaRequest, until: opts.mediaRequestUntil ?? null } });
}

/**
 * `mamori-agent run`: the headless agent. Reads the managed config (command-line values override
 * it in headless mode), opens the state folder and the outbox, and runs rounds until SIGINT/SIGTERM
 * — or one round with --once. Returns the exit status.
 */
export async function runAgent(opts: RunCliOptions, lang: Lang): Promise<number> {
  const platform = currentPlatform();
  const overrides: HeadlessOverrides = {
    ...(opts.server ? { serverUrl: opts.server } : {}),
    ...(opts.enrollSecret ? { enrollSecret: opts.enrollSecret } : {}),
    ...(opts.state ? { stateDir: opts.state } : {}),
    ...(opts.ca ? { caPemPath: opts.ca } : {}),
    ...(opts.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
  };
  const loaded = await loadAgentConfig({ mode: 'headless', platform, env: process.env, overrides });
  if (!loaded.ok) {
    process.stderr.write(`${t(lang, 'cli.error', { message: configMessage(lang, loaded.error) })}\n`);
    return 2;
  }
  const config = loaded.value;
  const log = jsonLinesLog((line) => process.stderr.write(line));
  const state = await AgentState.open(config.stateDir, {
    onRecovered: (r) => log.warn('state file unusable; moved aside', { file: r.file, movedTo: r.movedTo, reason: r.reason }),
  });
  const outbox = await Outbox.open(join(config.stateDir, 'outbox'));
  const client = new CollectorClient({ baseUrl: config.serverUrl, caPem: config.caPem });
  const agent = new Agent({
    config,
    client,
    state,
    outbox,
    scan: (sections) => scan(sections ? { sections } : {}),
    log,
    services: agentServices(),
    ui: headlessUi(opts, loggingUserInterface((line) => log.info('ui', line), config.lang ?? lang)),
    osUser: () => {
      try {
        return userInfo().username;
      } catch {
        return null;
      }
    },
  });
  try {
    if (opts.once) {
      const report = await agent.round({ collect: true });
      log.info('round finished', summarizeRound(report));
      return report.delivered ? 0 : 1;
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await agent.run(controller.signal, { startupDelayMaxMs: (opts.startupDelay ?? 0) * 1000 });
    return 0;
  } finally {
    client.close();
    await outbox.close();
  }
}
