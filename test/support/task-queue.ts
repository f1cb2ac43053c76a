/**
 * Each integration test file runs its workflows on a task queue of its own (ME_TASK_QUEUE, read by the
 * test configuration, the worker, the API and every process a test starts): the mobilities a file
 * leaves open (their reminders still firing) never load the worker of the files after it, on the one
 * stack the suite shares.
 */
import { basename } from 'node:path';
import { expect } from 'vitest';

const file = basename(expect.getState().testPath ?? 'suite').replace(/\.test\.ts$/, '').replace(/[^A-Za-z0-9-]/g, '-');
process.env.ME_TASK_QUEUE ??= `mobility-${file}-${process.pid}`;
