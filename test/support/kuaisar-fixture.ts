import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Day boundaries of the fixture (UTC): search on 2023-05-22 (train) and 2023-05-24 (test). */
export const KUAISAR_TRAIN_DAY = Date.UTC(2023, 4, 22);
export const KUAISAR_TEST_DAY = Date.UTC(2023, 4, 24);

/**
 * Writes a small folder in the public KuaiSAR layout: 4 items (token-id captions, categories),
 * 3 search sessions by 2 users over two days with a non-video result, and 4 feed rows.
 * `extraSearchRows` are appended verbatim to src_inter.csv (to plant bad rows).
 */
export function writeKuaisarFolder(extraSearchRows: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'kuaisar-'));
  const t1 = KUAISAR_TRAIN_DAY + 3_600_000;
  const t2 = KUAISAR_TRAIN_DAY + 7_200_000;
  const t3 = KUAISAR_TEST_DAY + 3_600_000;
  writeFileSync(
    join(dir, 'item_features.csv'),
    [
      'item_id,caption,author_id,item_type,upload_time,upload_type,first_level_category_id,first_level_category_name,first_level_category_name_en,second_level_category_id,second_level_category_name,second_level_category_name_en',
      '103656000000,"[1, 213, 24]",10,NORMAL,2023-04-22,LongImport,9,搞笑,Funny,136,搞笑段子,Funny joke',
      '103656000001,"[5, 6]",11,NORMAL,1970-01-01,LongImport,9,搞笑,Funny,0,空,empty',
      '103656000002,"[7]",12,NORMAL,2023-05-01,ShortImport,3,美食,Food,40,做饭,Cooking',
      '103656000003,"[]",13,NORMAL,2023-05-02,ShortImport,3,美食,Food,40,做饭,Cooking',
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(dir, 'src_inter.csv'),
    [
      'user_id,search_session_id,search_session_time,search_session_timestamp,keyword,search_source,item_id,click_cnt,item_type',
      `14358,1,2023-05-22 09:00:00,${t1}.0,"[20, 34, 3]",USER_INPUT,103656000000,1,VIDEO`,
      `14358,1,2023-05-22 09:00:00,${t1}.0,"[20, 34, 3]",USER_INPUT,103656000001,0,VIDEO`,
      `14358,1,2023-05-22 09:00:00,${t1}.0,"[20, 34, 3]",USER_INPUT,55,0,USER`,
      `14358,2,2023-05-22 10:00:00,${t2},"[20]",QUERY_SUGGESTION,103656000002,0,VIDEO`,
      `7,1,2023-05-24 09:00:00,${t3},"[7]",USER_INPUT,103656000002,2,VIDEO`,
      ...extraSearchRows,
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(dir, 'rec_inter.csv'),
    [
      'user_id,item_id,playing_time,duration_ms,time,timestamp,click,forward,like,follow,search,search_item_related',
      `14358,103656000003,60792.0,45400.0,2023-05-22 09:01:00,${t1 + 60_000}.0,1,0,1,0,0,0`,
      `14358,103656000001,1000.0,45400.0,2023-05-22 09:02:00,${t1 + 120_000},0,0,0,0,1,1`,
      `7,103656000000,30000.0,30000.0,2023-05-24 09:05:00,${t3 + 300_000},1,0,0,0,0,0`,
      `7,103656000003,500.0,20000.0,2023-05-24 09:06:00,${t3 + 360_000},0,0,0,0,0,0`,
    ].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'user_features.csv'), 'user_id,search_active_level,rec_active_level,onehot_feat1,onehot_feat2\n14358,1,1,1,3\n7,2,1,0,1\n');
  return dir;
}
