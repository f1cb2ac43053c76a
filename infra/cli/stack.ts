import { loadConfig } from '../config';
import { describeEndpoints, stackDown, StackError, stackStatus, stackUp } from '../stack';

const cmd = process.argv[2];
const cfg = loadConfig();

async function main(): Promise<number> {
  switch (cmd) {
    case 'up': {
      const t0 = Date.now();
      const { started } = await stackUp(cfg);
      console.log(started.length ? `stack (${cfg.profile}) up in ${((Date.now() - t0) / 1000).toFixed(1)}s; started: ${started.join(', ')}` : `stack (${cfg.profile}) already running`);
      console.log(describeEndpoints(cfg).join('\n'));
      return 0;
    }
    case 'down':
      await stackDown(cfg);
      console.log(`stack (${cfg.profile}) down`);
      return 0;
    case 'status': {
      const st = await stackStatus(cfg);
      for (const s of st) {
        console.log(`${s.name.padEnd(9)} ${s.running ? (s.healthy ? 'healthy' : 'running, not answering') : 'stopped'}`);
        for (const e of s.endpoints) console.log(`          ${e}`);
      }
      return st.every((s) => s.healthy) ? 0 : 3;
    }
    default:
      console.error('usage: stack.ts up|down|status   (profile from ME_PROFILE, default dev)');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof StackError ? `stack: ${err.message}` : err);
    process.exit(1);
  },
);
