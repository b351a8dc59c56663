#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveLang, t, type Lang } from '../shared/i18n/index.js';
import { SECTION_NAMES, SECTIONS, isSectionName, type SectionName } from '../shared/inventory/index.js';
import { scan } from './scan.js';
import { formatSummary } from './summary.js';
import { AGENT_VERSION } from './version.js';

/** Exit codes: 0 everything requested was collected, 1 something requested failed, 2 bad usage. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function parseSection(lang: Lang) {
  return (value: string, previous: SectionName[] = []): SectionName[] => {
    const names = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of names) {
      if (!isSectionName(name)) {
        throw new InvalidArgumentError(t(lang, 'scan.unknownSection', { name, names: SECTION_NAMES.join(', ') }));
      }
    }
    return [...previous, ...(names as SectionName[])];
  };
}

export function buildProgram(): Command {
  const lang = resolveLang(process.env.MAMORI_LANG, process.env.LC_ALL, process.env.LANG);
  const program = new Command('mamori-agent')
    .description('Mamori agent: inventory, removable-media and software control for this PC')
    .version(AGENT_VERSION)
    .showHelpAfterError(t(lang, 'cli.hint'));

  program
    .command('scan')
    .description('collect this machine\'s inventory and print it')
    .option('--json', 'print the inventory document as JSON (validates against the shared schema)')
    .option('--pretty', 'indent the JSON for people (implies --json)')
    .option('--section <names>', `limit to these sections (repeat or comma-separate): ${SECTION_NAMES.join(', ')}`, parseSection(lang))
    .addOption(new Option('--lang <lang>', 'language of messages').choices(['ja', 'en']))
    .option('--timeout <ms>', 'upper bound for one section in milliseconds', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 100 || n > 600_000) throw new InvalidArgumentError('100–600000');
      return n;
    })
    .action(async (opts: { json?: boolean; pretty?: boolean; section?: SectionName[]; lang?: Lang; timeout?: number }) => {
      const uiLang = opts.lang ?? lang;
      const showProgress = process.stderr.isTTY === true;
      const doc = await scan({
        ...(opts.section ? { sections: [...new Set(opts.section)] } : {}),
        ...(opts.timeout ? { sectionTimeoutMs: opts.timeout } : {}),
        onProgress: showProgress
          ? ({ section, done, total }) =>
              process.stderr.write(`\r\x1b[K${t(uiLang, 'scan.progress', { section: SECTIONS[section].title[uiLang], done, total })}`)
          : undefined,
      });
      if (showProgress) process.stderr.write('\r\x1b[K');
      if (opts.json || opts.pretty) process.stdout.write(`${JSON.stringify(doc, null, opts.pretty ? 2 : undefined)}\n`);
      else process.stdout.write(`${formatSummary(doc, uiLang)}\n`);
      const failed = doc.errors.filter((e) => e.code !== 'partial');
      for (const e of doc.errors) {
        process.stderr.write(`${t(uiLang, 'scan.sectionFailed', { section: SECTIONS[e.section].title[uiLang], message: e.message.split('\n')[0] ?? '' })}\n`);
      }
      if (failed.length > 0) process.exitCode = EXIT_FAILED;
    });

  program.exitOverride();
  return program;
}

async function main(): Promise<void> {
  const lang = resolveLang(process.env.MAMORI_LANG, process.env.LC_ALL, process.env.LANG);
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`${t(lang, 'cli.error', { message: error instanceof Error ? error.message : String(error) })}\n`);
    process.exitCode = EXIT_FAILED;
  }
}

await main();
