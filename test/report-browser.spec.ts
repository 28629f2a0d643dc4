import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricCharts, renderSvg } from '../src/report/charts.ts';
import { formatHtml } from '../src/report/html-report.ts';
import { buildReportTable } from '../src/report/report-table.ts';

/** Debian's `chromium`, which `.ci/run` installs; CI sets CROPS_REQUIRE_CHROMIUM so its absence fails there. */
const CHROMIUM = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
const required = process.env.CROPS_REQUIRE_CHROMIUM === '1';

describe.skipIf(!CHROMIUM && !required)('HTML report in a real browser', () => {
  it('renders offline in headless Chromium with its tables and charts', async () => {
    expect(CHROMIUM, 'chromium is not installed (apt-get install chromium)').toBeDefined();
    const table = buildReportTable(
      [
        { trialId: 'loss=info-nce,seed=1', runId: '1', seed: 1, metrics: { 'recall_at_100/ct': 0.61, 'ndcg_at_4/judged': 0.8 } },
        { trialId: 'loss=info-nce,seed=2', runId: '2', seed: 2, metrics: { 'recall_at_100/ct': 0.65, 'ndcg_at_4/judged': 0.82 } },
        { trialId: 'loss=h-info-nce,seed=1', runId: '3', seed: 1, metrics: { 'recall_at_100/ct': 0.7, 'ndcg_at_4/judged': 0.85 } },
        { trialId: 'loss=h-info-nce,seed=2', runId: '4', seed: 2, metrics: { 'recall_at_100/ct': 0.72, 'ndcg_at_4/judged': 0.86 } },
      ],
      { title: 'Browser check', metrics: ['recall@100/ct', 'ndcg@4/judged'], baseline: 'loss=info-nce', labels: { 'loss=h-info-nce': 'H-InfoNCE' } },
    );
    const charts: Array<[string, string]> = [];
    for (const c of metricCharts(table)) charts.push([c.file, await renderSvg(c.spec)]);
    const dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
    const page = join(dir, 'report.html');
    writeFileSync(page, formatHtml({ table, notes: [], source: 'test', charts, configs: [['loss=info-nce,seed=1', 'loss: info-nce\n']] }));

    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${join(dir, 'profile')}`];
    // the DOM the browser built: the tables and the inline SVG charts must be in it
    const dom = spawnSync(CHROMIUM!, [...flags, '--dump-dom', pathToFileURL(page).href], { encoding: 'utf8', timeout: 90_000 });
    expect(dom.status, dom.stderr).toBe(0);
    expect(dom.stdout).toContain('<title>Browser check</title>');
    expect(dom.stdout).toMatch(/<td>H-InfoNCE<\/td><td>2<\/td><td><strong>71\.00<\/strong> ± 1\.41<\/td>/);
    expect((dom.stdout.match(/<svg[\s>]/g) ?? []).length).toBeGreaterThanOrEqual(2);
    // and it paints: a screenshot of the page is a real image
    const shot = join(dir, 'shot.png');
    const png = spawnSync(CHROMIUM!, [...flags, `--screenshot=${shot}`, '--window-size=1200,1600', pathToFileURL(page).href], { encoding: 'utf8', timeout: 90_000 });
    expect(png.status, png.stderr).toBe(0);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  }, 180_000);
});
