// `npm start`: the main job on one machine. Starts the collector on the embedded SQLite database
// (./mamori-data) and a headless agent on this machine that enrols and syncs; once the first round
// is delivered it prints the device list. Ctrl-C stops both.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = process.env.MAMORI_DATA_DIR ?? `${root}mamori-data`;
const port = Number(process.env.MAMORI_PORT ?? 8080);
const tsx = `${root}node_modules/.bin/tsx`;
const collectorCli = `${root}src/collector/cli.ts`;
const agentCli = `${root}src/agent/cli.ts`;
const server = `http://127.0.0.1:${port}`;
const ja = !/^en/i.test(process.env.MAMORI_LANG ?? '');
const say = (jaText: string, enText: string) => process.stdout.write(`${ja ? jaText : enText}\n`);

mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const secretFile = `${dataDir}/local-enroll-secret`;
if (!existsSync(secretFile)) {
  // A secret for this machine's own agent, kept beside the database (not for other PCs).
  const created = execFileSync(tsx, [collectorCli, 'enroll-secret', 'create', '--data', dataDir, '--label', 'npm start (this machine)', '--json'], { encoding: 'utf8' });
  const { secret } = JSON.parse(created) as { secret: string };
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
}
const secret = readFileSync(secretFile, 'utf8').trim();

const children: ChildProcess[] = [];
const stopAll = (code: number) => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
};
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));

const collector = spawn(tsx, [collectorCli, 'serve', '--data', dataDir, '--port', String(port), '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
children.push(collector);
collector.once('exit', (code) => {
  say(`収集サーバーが終了しました (終了コード ${code})。ポート ${port} が使用中なら MAMORI_PORT で変更してください。`, `The collector exited (code ${code}). If port ${port} is in use, set MAMORI_PORT.`);
  stopAll(1);
});

async function waitForCollector(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${server}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`collector did not answer at ${server}`);
}

await waitForCollector();
say(`収集サーバー: ${server} (データ: ${dataDir})`, `Collector: ${server} (data: ${dataDir})`);

const agent = spawn(tsx, [agentCli, 'run', '--server', server, '--enroll-secret', secret, '--state', `${dataDir}/agent-state`, '--allow-insecure-http'], {
  stdio: ['ignore', 'inherit', 'pipe'],
});
children.push(agent);
agent.once('exit', (code) => {
  say(`エージェントが終了しました (終了コード ${code})`, `The agent exited (code ${code})`);
  stopAll(code ?? 1);
});

let shown = false;
createInterface({ input: agent.stderr! }).on('line', (line) => {
  let entry: { msg?: string; delivered?: boolean; level?: string } = {};
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    process.stderr.write(`${line}\n`);
    return;
  }
  if (entry.level !== 'info' || process.env.MAMORI_VERBOSE) process.stderr.write(`${line}\n`);
  if (entry.msg === 'round finished' && entry.delivered && !shown) {
    shown = true;
    say('\nこの端末が登録され、端末情報が送信されました:', '\nThis PC has enrolled and sent its inventory:');
    process.stdout.write(execFileSync(tsx, [collectorCli, 'devices', 'list', '--data', dataDir], { encoding: 'utf8' }));
    say(
      `\n一覧の表示: npx mamori-collector devices list --data ${dataDir}\n停止するには Ctrl-C を押してください。`,
      `\nList devices: npx mamori-collector devices list --data ${dataDir}\nPress Ctrl-C to stop.`,
    );
  }
});
