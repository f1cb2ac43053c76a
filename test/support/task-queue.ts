/**
 * Each API integration test file runs its workflows on a task queue of its own (ME_TASK_QUEUE, read by the
 * test configuration, the worker, the API and every process a test starts): the mobilities a file
 * leaves open (their reminders still firing) never load the worker of the files after it, on the one
 * stack the suite shares.
 */
import { basename } from 'node:path';
import { expect } from 'vitest';

// Only the API files: the demo (npm start, the demo and fault tests, the browser tests) keeps the default
// queue, since a demo run finds the workflows an earlier run of it started (its ids are deterministic).
const path = expect.getState().testPath ?? '';
const file = basename(path).replace(/\.test\.ts$/, '').replace(/[^A-Za-z0-9-]/g, '-');
if (path.includes('/test/integration/api/')) process.env.ME_TASK_QUEUE ??= `mobility-${file}-${process.pid}`;
