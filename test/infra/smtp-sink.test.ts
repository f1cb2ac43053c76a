import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The SMTP sink outlives a client that dies mid-conversation: a worker SIGKILLed while sending resets its
 * connection (ECONNRESET), and the sink must go on accepting mail (it once exited on it, so the fault
 * suite saw SMTP restarted without being killed).
 */
const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

let dir: string;
let port: number;
let sink: ChildProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'me-smtp-sink-'));
  port = await freePort();
  sink = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'infra', 'smtp-sink.ts'), String(port), join(dir, 'inbox.jsonl')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    sink.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('smtp sink on')) resolve(); });
    sink.once('exit', (code) => reject(new Error(`sink exited ${code}`)));
  });
}, 30_000);

afterAll(() => {
  sink.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('smtp sink', () => {
  it('keeps running after a client resets its connection mid-conversation, and still delivers', async () => {
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => socket.once('data', () => resolve())); // the greeting
    socket.write('EHLO worker\r\nMAIL FROM:<a@example.org>\r\n');
    await new Promise((r) => setTimeout(r, 200));
    socket.resetAndDestroy(); // RST, as a killed process's socket
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.exitCode).toBeNull();

    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'engine@example.org', to: 'p@example.org', subject: 'after the reset', text: 'still here', messageId: '<after-reset@example.org>' });
    const inbox = readFileSync(join(dir, 'inbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { subject: string });
    expect(inbox.map((m) => m.subject)).toEqual(['after the reset']);
    expect(sink.exitCode).toBeNull();
  });
});
