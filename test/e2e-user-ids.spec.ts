import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogFilesDataset, LogFilesParams } from '../plugins/dataset/log-files-dataset.ts';
import { runCli } from './support/cli.ts';
import { writeKuaisarFolder } from './support/kuaisar-fixture.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 1);
const BIG_A = '9007199254740993'; // 2^53 + 1: a double rounds it to 2^53
const BIG_B = '9007199254740992';

/** A log-files folder whose item ids are 1000, 2000, ... and whose users are strings and 64-bit integers. */
function writeLogFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'user-ids-'));
  const items = ['item_id,text', '1000,red fox in the snow', '2000,blue whale song', '3000,fox den at night', '4000,whale watching boat', '5000,fox den photos'];
  const sessions = ['session_id,user_id,ts_ms,query'];
  const impressions = ['session_id,item_id,stage,position,clicked'];
  const users = ['alice', BIG_A, BIG_B];
  let n = 0;
  for (const [day, query, clicked, other] of [
    [0, 'fox', 1000, 2000],
    [0, 'whale', 2000, 3000],
    [0, 'fox den', 3000, 4000],
    [0, 'whale boat', 4000, 1000],
    [1, 'fox', 3000, 2000],
    [1, 'whale', 4000, 1000],
  ] as const) {
    const s = `s${n}`;
    sessions.push(`${s},${users[n % 3]},${T0 + day * DAY + 1000 * ++n},${query}`);
    impressions.push(`${s},${clicked},shown,0,1`, `${s},${other},shown,1,0`);
  }
  writeFileSync(join(dir, 'items.csv'), `${items.join('\n')}\n`);
  writeFileSync(join(dir, 'search_sessions.csv'), `${sessions.join('\n')}\n`);
  writeFileSync(join(dir, 'impressions.csv'), `${impressions.join('\n')}\n`);
  // feed plays a minute after a search by the same user: P2 pairs, which carry the user's id
  const feed = [`alice,3000,${T0 + 61_000}`, `${BIG_A},4000,${T0 + 62_000}`, `${BIG_B},5000,${T0 + 63_000}`];
  writeFileSync(join(dir, 'rec_interactions.csv'), `user_id,item_id,ts_ms,clicked\n${feed.map((f) => `${f},1`).join('\n')}\n`);
  return dir;
}

function experiment(cwd: string, dataset: string): void {
  writeFileSync(
    join(cwd, 'ids.yaml'),
    [
      'name: user-ids',
      dataset,
      'seeds: [1]',
      'positiveSource: [search-clicks, recommendation-feed]',
      'discriminator: lexical',
      'labelScheme: binary',
      'encoder: { use: hash-mlp, params: { dim: 16 } }',
      'train: { steps: 3, batchQueries: 2, logEvery: 1 }',
      'eval: { metrics: [recall@10/ct] }',
    ].join('\n'),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

describe('the ids in every file a user sees are the ids of their own data', () => {
  it('log-files: exported samples carry item ids 1000.. and string / 64-bit user ids exactly', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ids-data-'));
    experiment(cwd, `dataset: { use: log-files, params: { dir: ${JSON.stringify(writeLogFolder())} } }`);
    const res = runCli(['data', 'ids.yaml', '--export', 'out', '--json'], { cwd, timeoutMs: 120_000 });
    expect(res.status, res.stderr).toBe(0);
    const [report] = JSON.parse(res.stdout) as Array<{ exported: string }>;
    const rows = readFileSync(join(report!.exported, 'samples.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBeGreaterThan(0);
    const itemIds = new Set(rows.map((r) => r[1]));
    for (const id of itemIds) expect(['1000', '2000', '3000', '4000', '5000']).toContain(id);
    expect(itemIds.has('1000')).toBe(true);
    // clicks carry who clicked: the user's own ids, the two 64-bit ones kept apart
    const userIds = new Set(rows.map((r) => r[6]).filter(Boolean));
    expect([...userIds].sort()).toEqual(['alice', BIG_B, BIG_A].sort());
  }, 180_000);

  it('log-files: TREC run and qrels artifacts name items by their own ids', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ids-run-'));
    experiment(cwd, `dataset: { use: log-files, params: { dir: ${JSON.stringify(writeLogFolder())} } }`);
    const res = runCli(['run', 'ids.yaml'], { cwd, timeoutMs: 180_000 });
    expect(res.status, res.stderr).toBe(0);
    const trec = filesUnder(join(cwd, 'mlruns')).filter((f) => /trec\/ct\.(run|qrels)$/.test(f));
    expect(trec).toHaveLength(2);
    for (const f of trec) {
      const lines = readFileSync(f, 'utf8').trim().split('\n');
      const docnos = lines.map((l) => l.split(' ')[2]);
      expect(docnos.length).toBeGreaterThan(0);
      for (const d of docnos) expect(['1000', '2000', '3000', '4000', '5000']).toContain(d);
    }
  }, 240_000);

  it('kuaisar: exported samples carry the KuaiSAR item ids, not dense indices', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ids-kuaisar-'));
    experiment(cwd, `dataset: { use: kuaisar, params: { dir: ${JSON.stringify(writeKuaisarFolder())} } }`);
    const res = runCli(['data', 'ids.yaml', '--export', 'out', '--json'], { cwd, timeoutMs: 120_000 });
    expect(res.status, res.stderr).toBe(0);
    const [report] = JSON.parse(res.stdout) as Array<{ exported: string }>;
    const rows = readFileSync(join(report!.exported, 'samples.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r[1]).toMatch(/^10365600000[0-3]$/);
  }, 180_000);
});

describe('ids are read exactly; bad ids and units are located errors', () => {
  const load = (dir: string, params: Partial<LogFilesParams> = {}) => new LogFilesDataset(LogFilesParams.parse({ dir, ...params })).load();

  it('refuses bytes that are not UTF-8 at file:line:col instead of merging ids into U+FFFD', async () => {
    const dir = writeLogFolder();
    const items = Buffer.concat([Buffer.from('item_id,text\n1000,red fox\nab'), Buffer.from([0xff]), Buffer.from(',one\nab'), Buffer.from([0xfe]), Buffer.from(',two\n')]);
    writeFileSync(join(dir, 'items.csv'), items);
    await expect(load(dir)).rejects.toThrow(/items\.csv:3:3: byte 0xff is not valid UTF-8/);
    writeFileSync(join(dir, 'items.jsonl'), Buffer.concat([Buffer.from('{"item_id":"x'), Buffer.from([0xc3, 0x28]), Buffer.from('","text":"t"}\n')]));
    await expect(load(dir, { format: 'jsonl' })).rejects.toThrow(/items\.jsonl:1:14: byte 0xc3 is not valid UTF-8/);
  });

  it('keeps JSONL integer ids above 2^53 apart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'big-ids-'));
    const ts = T0 + 1000;
    writeFileSync(join(dir, 'items.jsonl'), `{"item_id":${BIG_A},"text":"a"}\n{"item_id":${BIG_B},"text":"b"}\n`);
    writeFileSync(join(dir, 'search_sessions.jsonl'), `{"session_id":"s","user_id":${BIG_A},"ts_ms":${ts},"query":"q"}\n{"session_id":"t","user_id":${BIG_B},"ts_ms":${ts},"query":"q"}\n`);
    writeFileSync(join(dir, 'impressions.jsonl'), `{"session_id":"s","item_id":${BIG_A},"stage":"shown","position":0,"clicked":1}\n`);
    const store = await load(dir);
    expect(store.items.map((i) => i.externalId)).toEqual([BIG_A, BIG_B]);
    expect(store.externalUserIds).toEqual([BIG_A, BIG_B]);
    expect(store.train.impressions.concat(store.test.impressions).map((i) => i.itemId)).toEqual([0]);
  });

  it('counts duplicate item ids: an error by default, the first row kept under onBadRow: skip', async () => {
    const dir = writeLogFolder();
    writeFileSync(join(dir, 'items.csv'), 'item_id,text\n1000,first\n2000,b\n1000,second\n3000,c\n4000,d\n');
    await expect(load(dir)).rejects.toThrow(/items\.csv:4:1: column 'item_id': expected an item_id not already used by an earlier row, got "1000"/);
    const store = await load(dir, { onBadRow: 'skip' });
    expect(store.items.find((i) => i.externalId === '1000')!.text).toBe('first');
    expect(store.description!['skippedRows.items']).toBe(1);
  });

  it('says when times look like seconds rather than milliseconds', async () => {
    const dir = writeLogFolder();
    const csv = readFileSync(join(dir, 'search_sessions.csv'), 'utf8').replace(/,(\d{13}),/g, (_m, ms: string) => `,${Math.floor(Number(ms) / 1000)},`);
    writeFileSync(join(dir, 'search_sessions.csv'), csv);
    await expect(load(dir)).rejects.toThrow(/search_sessions\.csv: column 'ts_ms' must be epoch milliseconds, .* the times look like seconds\. Multiply them by 1000/);
  });
});
