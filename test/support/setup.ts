import 'reflect-metadata';
import { afterAll, afterEach } from 'vitest';
import { killStartedGroups } from './cli.ts';

// no `crops` process a test started outlives it, even when the test timed out
afterEach(killStartedGroups);
afterAll(killStartedGroups);
