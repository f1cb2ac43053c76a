import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { portOpen, runningPid, spawnServer, stopPid } from './proc';
import type { Service } from './service';

export const inboxFile = (cfg: Config) => join(cfg.dataDir, 'mail', 'inbox.jsonl');

/** The local SMTP server (development mailbox) that reminders are delivered to. */
export function mailService(cfg: Config): Service {
  const dir = join(cfg.dataDir, 'mail');
  const pidFile = join(dir, 'smtp.pid');
  const logFile = join(dir, 'smtp.log');
  return {
    name: 'smtp',
    ports: [cfg.ports.smtp],
    logFile,
    dataDir: dir,
    startTimeoutMs: 20_000,
    async install() {},
    running: () => runningPid(pidFile) !== null,
    async start() {
      mkdirSync(dir, { recursive: true });
      // node --import tsx, not the tsx CLI: the pid file then names the server itself (the CLI would be a
      // second process in between, and a crash of one would leave the other holding the port).
      spawnServer(process.execPath, ['--import', 'tsx', join(cfg.root, 'infra', 'smtp-sink.ts'), String(cfg.ports.smtp), inboxFile(cfg)], { logFile, pidFile, cwd: cfg.root });
    },
    healthy: () => portOpen(cfg.host, cfg.ports.smtp),
    async stop() {
      await stopPid(pidFile);
    },
    endpoints: () => [`smtp://${cfg.host}:${cfg.ports.smtp}`, `mailbox ${inboxFile(cfg)}`],
  };
}
