import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../cli/demo-run';
import { DEMO_REPORT, WALKTHROUGH } from '../../src/demo/walkthrough';
import { chromiumMissing, HeadlessPage } from '../support/chromium';

/**
 * The report the demo writes, loaded in a real browser (Debian's headless chromium over the
 * DevTools protocol): the charts are laid out with the demo organization's numbers, the page asks
 * for nothing but itself, and a screenshot stays at bench/out/report.png for people to look at.
 */
const SCREENSHOT = join(__dirname, '..', '..', 'bench', 'out', 'report.png');

interface Bar {
  value: number;
  height: number;
  band?: string;
  stage?: string;
}

describe('the report of the demo, in headless chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudsweep-report-browser-'));
  const file = join(dir, 'report.html');
  let output = '';
  let page: HeadlessPage;

  beforeAll(async () => {
    // No browser is a failure to fix (.ci/run installs it), never a silent skip.
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    const steps = WALKTHROUGH.map((step) => (step.command === `report --output ${DEMO_REPORT}` ? { ...step, command: `report --output ${file}` } : step));
    expect(steps[steps.length - 1]?.command).toBe(`report --output ${file}`);
    const code = await runDemo({
      steps,
      context: { out: (text) => void (output += `${text}\n`), err: () => undefined, env: { ...process.env, NO_COLOR: '1' }, isTTY: false, color: false },
    });
    if (code !== 0) throw new Error(`the demo failed (exit ${code}):\n${output.slice(-3000)}`);
    page = await HeadlessPage.open(1280, 900);
    await page.load(`file://${file}`);
  }, 180_000);

  afterAll(async () => {
    await page?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the file the demo printed', () => {
    expect(output).toContain(`Report written to ${file}: 31 keys in 3 accounts, 3 unused for more than 90 days, 2 cleanup runs charted.`);
  });

  it('asks for nothing but itself: no network, no CDN', () => {
    expect(page.requests).toEqual([`file://${file}`]);
  });

  it('draws one histogram per account, six bands each, bar heights in proportion to the keys counted', async () => {
    const figures = await page.evaluate<{ account: string; keys: number; bars: Bar[] }[]>(`
      [...document.querySelectorAll('figure.account-ages')].map((figure) => ({
        account: figure.dataset.account,
        keys: Number(figure.dataset.keys),
        bars: [...figure.querySelectorAll('svg.histogram rect.bar')].map((rect) => ({ band: rect.dataset.band, value: Number(rect.dataset.value), height: rect.getBBox().height })),
      }))`);
    // The demo organization's 39 keys, less the 8 its cleanup deleted.
    expect(figures.map((figure) => [figure.account, figure.keys])).toEqual([['master', 8], ['production', 14], ['staging', 9]]);
    for (const figure of figures) {
      expect(figure.bars.map((bar) => bar.band)).toEqual(['upto30', 'upto90', 'upto180', 'upto365', 'over365', 'never']);
      expect(figure.bars.reduce((sum, bar) => sum + bar.value, 0)).toBe(figure.keys);
    }
    const bars = figures.flatMap((figure) => figure.bars);
    const tallest = Math.max(...bars.map((bar) => bar.height));
    const most = Math.max(...bars.map((bar) => bar.value));
    for (const bar of bars) expect(bar.height).toBeCloseTo((bar.value / most) * tallest, 0);
    expect(tallest).toBeGreaterThan(100);
  });

  it('charts the dry run and the real cleanup by stage, as the audit recorded them', async () => {
    const runs = await page.evaluate<{ dryRun: string; bars: Bar[] }[]>(`
      [...document.querySelectorAll('svg.stages g.run')].map((group) => ({
        dryRun: group.dataset.dryRun,
        bars: [...group.querySelectorAll('rect.bar')].map((rect) => ({ stage: rect.dataset.stage, value: Number(rect.dataset.value), height: rect.getBBox().height })),
      }))`);
    const values = runs.map((run) => [run.dryRun, Object.fromEntries(run.bars.map((bar) => [bar.stage, bar.value]))]);
    expect(values).toEqual([
      // The demo's dry run has a week's notice: it would notice the owner of the 8 keys, not delete them.
      ['true', { flagged: 9, protected: 1, noticed: 8, deactivated: 0, deleted: 0, kept: 0 }],
      ['false', { flagged: 9, protected: 1, noticed: 0, deactivated: 0, deleted: 8, kept: 0 }],
    ]);
    const flagged = runs[1]?.bars.find((bar) => bar.stage === 'flagged');
    const deleted = runs[1]?.bars.find((bar) => bar.stage === 'deleted');
    expect((deleted?.height ?? 0) / (flagged?.height ?? 1)).toBeCloseTo(8 / 9, 1);
  });

  it('ranks the owners of stale keys and lists the protected user with the reason', async () => {
    const owners = await page.evaluate<string[]>(`[...document.querySelectorAll('table.owners tbody tr')].map((row) => [...row.cells].map((cell) => cell.textContent).join(' | '))`);
    // What cleanup left: jenkins and ci were left out of the search, break-glass is protected.
    expect(owners.map((owner) => owner.split(' | ').slice(0, 3).join(' | '))).toEqual(['break-glass | master | 1', 'ci | production | 1', 'jenkins | master | 1']);
    const bars = await page.evaluate<number[]>(`[...document.querySelectorAll('svg.owners rect.bar')].map((rect) => Number(rect.dataset.value))`);
    expect(bars).toEqual([1, 1, 1]);
    const exemptions = await page.evaluate<string[]>(`[...document.querySelectorAll('table.exemptions tbody tr')].map((row) => row.textContent)`);
    expect(exemptions).toHaveLength(1);
    expect(exemptions[0]).toMatch(/^userbreak-glassmaster/);
    expect(exemptions[0]).toContain('carries the protect tag cloudsweep:protect=true');
  });

  it('summarises the last run (the final collect) and takes a screenshot people can open', async () => {
    const lastRun = await page.evaluate<string>(`document.querySelector('#last-run dl.run').textContent`);
    expect(lastRun).toMatch(/workflowcollect/);
    expect(lastRun).toMatch(/statussucceeded/);
    const png = await page.screenshot();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    writeFileSync(SCREENSHOT, png);
  });
});
