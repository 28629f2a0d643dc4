import { describe, expect, it } from 'vitest';
import { escapeHtml, formatHtml } from './html-report.ts';
import { buildReportTable } from './report-table.ts';

const table = buildReportTable(
  [
    { trialId: 'm=a,seed=1', runId: '1', seed: 1, metrics: { 'recall_at_100/ct': 0.5 } },
    { trialId: 'm=a,seed=2', runId: '2', seed: 2, metrics: { 'recall_at_100/ct': 0.7 } },
    { trialId: 'm=b,seed=1', runId: '3', seed: 1, metrics: { 'recall_at_100/ct': 0.4 } },
  ],
  { title: 'A & B', metrics: ['recall@100/ct'], baseline: 'm=b', labels: { 'm=a': '<b>ours</b>' } },
);

describe('HTML report', () => {
  it('escapes every text it shows', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('is one offline page with the tables, inline charts, configs and world facts', () => {
    const html = formatHtml({
      table,
      notes: ['Left out (not finished): m=c (failed).'],
      source: 'Sweep run abc',
      charts: [['recall_at_100-ct.svg', '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>']],
      configs: [['m=a,seed=1', 'name: <x>\n']],
      worlds: [
        {
          dataset: 'synthetic-world {"preset":"tiny"}',
          facts: [
            { key: 'clickRate', value: 0.9, target: [0.05, 0.3], about: 'clicks per shown item' },
            { key: 'items', value: 4000, about: 'videos' },
          ],
        },
      ],
    });
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>A &#38; B<\/title>/);
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(html).toContain('<tr><td>&#60;b&#62;ours&#60;/b&#62;</td><td>2</td><td><strong>60.00</strong> ± 14.14</td><td>+20.00 (+50.0%)</td></tr>');
    expect(html).toContain('<tr><td>m=b</td><td>1</td><td>40.00</td><td>–</td></tr>');
    expect(html).toContain('<h2>95% confidence intervals of the mean, in percent</h2>');
    expect(html).toContain('<li>Left out (not finished): m=c (failed).</li>');
    expect(html).toContain('<figure title="recall_at_100-ct.svg"><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg></figure>');
    expect(html).toContain('<tr><td>clickRate</td><td><span class="off">0.9</span></td><td>0.05 – 0.3</td><td>clicks per shown item</td></tr>');
    expect(html).toContain('<tr><td>items</td><td>4000</td><td></td><td>videos</td></tr>');
    expect(html).toContain('<details><summary>m=a,seed=1</summary><pre>name: &#60;x&#62;\n</pre></details>');
  });

  it('leaves out the sections it has nothing for', () => {
    const html = formatHtml({ table, notes: [], source: 's', charts: [], configs: [] });
    expect(html).not.toMatch(/Charts|Simulated world|Resolved configurations/);
  });
});
