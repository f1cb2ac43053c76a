/**
 * A local SMTP server for the demo and the tests: accepts every message on loopback and
 * appends it as one JSON line to <dataDir>/mail/inbox.jsonl (a development mailbox, like MailHog).
 * Run: tsx infra/smtp-sink.ts <port> <inbox file>
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SMTPServer } from 'smtp-server';

const [portArg, inbox] = process.argv.slice(2);
if (!portArg || !inbox) {
  console.error('usage: smtp-sink <port> <inbox.jsonl>');
  process.exit(2);
}
mkdirSync(dirname(inbox), { recursive: true });

/** Header block → lower-cased map (continuation lines unfolded). */
export function parseHeaders(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const out: Record<string, string> = {};
  let last = '';
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) out[last] += ` ${line.trim()}`;
    else {
      const i = line.indexOf(':');
      if (i > 0) {
        last = line.slice(0, i).trim().toLowerCase();
        out[last] = line.slice(i + 1).trim();
      }
    }
  }
  return out;
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = parseHeaders(raw);
      const record = {
        receivedAt: new Date().toISOString(),
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
        to: session.envelope.rcptTo.map((r) => r.address),
        messageId: headers['message-id'] ?? null,
        subject: headers['subject'] ?? null,
        headers,
        body: raw.slice(raw.search(/\r?\n\r?\n/) + 1).trim(),
      };
      appendFileSync(inbox, `${JSON.stringify(record)}\n`);
      callback();
    });
  },
});
// A client that dies mid-conversation (a worker killed while sending) resets its connection: that connection
// ends, the sink goes on. Without a listener the server's 'error' event would end the process.
server.on('error', (err: NodeJS.ErrnoException) => console.error(`smtp sink: connection error ${err.code ?? ''} ${err.message}`));
server.listen(Number(portArg), '127.0.0.1', () => console.log(`smtp sink on 127.0.0.1:${portArg} → ${inbox}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
