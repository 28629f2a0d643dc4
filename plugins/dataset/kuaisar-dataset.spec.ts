import { describe, expect, it } from 'vitest';
import { describeDatasetConformance } from '../../test/conformance/data-conformance.ts';
import { KUAISAR_TEST_DAY, writeKuaisarFolder } from '../../test/support/kuaisar-fixture.ts';
import plugin, { KuaisarDataset, KuaisarParams } from './kuaisar-dataset.ts';

const load = (dir: string, params: Partial<KuaisarParams> = {}) => new KuaisarDataset(KuaisarParams.parse({ dir, ...params })).load();

describe('kuaisar dataset', () => {
  it('maps a KuaiSAR folder onto the canonical logs', async () => {
    const store = await load(writeKuaisarFolder());
    expect(store.items.map((i) => i.text)).toEqual(['w1 w213 w24 Funny Funny joke', 'w5 w6 Funny', 'w7 Food Cooking', 'Food Cooking']);
    expect(store.items[0]!.uploadTs).toBe(Date.parse('2023-04-22T00:00:00+08:00'));
    expect(store.items[1]!.uploadTs).toBeUndefined(); // 1970-01-01 is KuaiSAR's padding
    // two train sessions (user 14358), one test session (user 7) split at the last day
    expect(store.train.sessions.map((s) => [s.userId, s.query, s.source])).toEqual([
      [14358, 'w20 w34 w3', 'typed'],
      [14358, 'w20', 'suggested'],
    ]);
    expect(store.test.sessions.map((s) => [s.userId, s.query])).toEqual([[7, 'w7']]);
    expect(store.description!.testFrom).toBe(new Date(KUAISAR_TEST_DAY).toISOString());
    // the USER result is not an item; video results are shown impressions in row order
    expect(store.train.impressions.map((i) => [i.itemId, i.stage, i.position, i.clicked])).toEqual([
      [0, 'shown', 0, true],
      [1, 'shown', 1, false],
      [2, 'shown', 0, false],
    ]);
    expect(store.test.impressions.map((i) => [i.itemId, i.clicked])).toEqual([[2, true]]);
    expect(store.description!.searchRowsOfOtherItemTypes).toBe(1);
    expect(String(store.description!.stageNegatives)).toMatch(/^absent/);
    expect(store.judgments).toEqual([]);
    expect(store.train.recInteractions.map((r) => [r.itemId, r.clicked, r.liked, r.playMs, r.durationMs])).toEqual([
      [3, true, true, 60792, 45400],
      [1, false, false, 1000, 45400],
    ]);
    expect(store.test.recInteractions).toHaveLength(2);
  });

  it('names file, line, column and the expectation for a bad row, or skips and counts it', async () => {
    const dir = writeKuaisarFolder(['14358,3,2023-05-22 11:00:00,notatime,"[1]",USER_INPUT,103656000000,0,VIDEO', '14358,4,x,1684746000000,"[1]",USER_INPUT,999,0,VIDEO']);
    await expect(load(dir)).rejects.toThrow(/src_inter\.csv:7:29: column 'search_session_timestamp': expected an integer, got "notatime"/);
    const store = await load(dir, { onBadRow: 'skip' });
    expect(store.description!['skippedRows.src_inter']).toBe(2);
    expect(store.train.sessions).toHaveLength(2);
  });

  it('lists the expected columns when one is missing', async () => {
    const dir = writeKuaisarFolder();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/rec_inter.csv`, 'user_id,item_id,timestamp\n1,103656000000,5\n');
    await expect(load(dir)).rejects.toThrow(/rec_inter\.csv:1:1: missing column 'click'; expected user_id, item_id, timestamp, playing_time\?, duration_ms\?, click, like\? .*found user_id, item_id, timestamp/);
  });
});

describeDatasetConformance(plugin, { dir: writeKuaisarFolder() });
