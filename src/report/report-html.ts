import { AGE_BANDS, AgeBand, ReportData, RunStages, Stage, STAGES } from './report-data';

/**
 * The report as one self-contained HTML page: no script, no network (a Content-Security-Policy
 * forbids any fetch), charts drawn here as inline SVG. Every value from the data is escaped: user
 * names, tags and reasons are anyone's text. Each chart element carries its value in `data-*`
 * attributes and a `<title>`, so a browser test (and a screen reader) can read what is drawn.
 */
export function renderReportHtml(report: ReportData): string {
  const { totals } = report;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cloudsweep report ${esc(report.generated_at)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>cloudsweep report</h1>
<p class="meta">Generated ${esc(report.generated_at)} · inventory collected ${esc(report.collected_at ?? 'never')}</p>
<ul class="tiles">
${tile('accounts', totals.accounts)}${tile('users', totals.users)}${tile('access keys', totals.keys)}${tile(`unused > ${report.stale_days} days`, totals.stale_keys, 'stale')}${tile('never used', totals.never_used)}${tile('flagged', totals.flagged)}${tile('protected', totals.protected_keys)}
</ul>
</header>
<section id="ages">
<h2>Keys by last access, per account</h2>
<p class="note">Days since each key was last used; keys never used are counted apart. Every account is drawn on the same scale.</p>
${ageCharts(report)}
</section>
<section id="stages">
<h2>Keys per stage over the last runs</h2>
${stageChart(report.runs)}
</section>
<section id="owners">
<h2>Biggest owners of stale keys</h2>
${ownerChart(report)}
</section>
<section id="exemptions">
<h2>Exemptions</h2>
${exemptionTable(report)}
</section>
<section id="last-run">
<h2>Last run</h2>
${lastRun(report)}
</section>
</body>
</html>
`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#1f2933;background:#fff}
h1{margin:0 0 4px;font-size:24px}h2{margin:32px 0 8px;font-size:18px;border-bottom:1px solid #d9e2ec;padding-bottom:4px}
.meta,.note,.empty{color:#52606d;margin:4px 0 12px}
.tiles{display:flex;flex-wrap:wrap;gap:8px;list-style:none;padding:0;margin:12px 0}
.tiles li{border:1px solid #d9e2ec;border-radius:6px;padding:8px 12px;min-width:96px}
.tiles b{display:block;font-size:20px}.tiles .stale b{color:#c0392b}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #d9e2ec;border-radius:6px;padding:8px}
figcaption{font-weight:600;margin-bottom:4px}
svg text{font-size:11px;fill:#334e68}svg.histogram text{font-size:10.5px}svg .value{font-weight:600;fill:#1f2933}
table{border-collapse:collapse;margin:8px 0;width:100%}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.legend{display:flex;gap:12px;flex-wrap:wrap;margin:4px 0 8px;padding:0;list-style:none}
.legend span{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.status-failed{color:#c0392b}.status-succeeded{color:#1e8449}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:4px 0 12px}dt{color:#52606d}dd{margin:0}
`;

const BAND_COLORS: Record<AgeBand, string> = {
  upto30: '#2e86c1',
  upto90: '#48c9b0',
  upto180: '#f5b041',
  upto365: '#e67e22',
  over365: '#c0392b',
  never: '#7f8c8d',
};

const STAGE_COLORS: Record<Stage, string> = {
  flagged: '#5d6d7e',
  protected: '#27ae60',
  noticed: '#8e44ad',
  deactivated: '#f39c12',
  deleted: '#c0392b',
  kept: '#2e86c1',
};

function tile(label: string, value: number, className = ''): string {
  return `<li${className ? ` class="${className}"` : ''}><b>${value}</b>${esc(label)}</li>`;
}

/** One histogram per account, six bands, one scale for all. */
function ageCharts(report: ReportData): string {
  if (report.accounts.length === 0) return '<p class="empty">The inventory is empty: collect first (cloudsweep workflow run collect).</p>';
  const max = Math.max(1, ...report.accounts.flatMap((account) => Object.values(account.bands)));
  const width = 372;
  const height = 190;
  const top = 18;
  const bottom = 34;
  const plot = height - top - bottom;
  const slot = (width - 20) / AGE_BANDS.length;
  const figures = report.accounts.map((account) => {
    const bars = AGE_BANDS.map((band, i) => {
      const value = account.bands[band.id];
      const h = Math.round((value / max) * plot);
      const x = 10 + i * slot + 6;
      const y = top + plot - h;
      const w = slot - 12;
      return (
        `<g class="band" data-band="${band.id}">` +
        `<rect class="bar" x="${fmt(x)}" y="${y}" width="${fmt(w)}" height="${h}" fill="${BAND_COLORS[band.id]}" data-account="${esc(account.name)}" data-band="${band.id}" data-value="${value}">` +
        `<title>${esc(account.name)}: ${value} keys ${esc(band.label)}</title></rect>` +
        `<text class="value" x="${fmt(x + w / 2)}" y="${y - 4}" text-anchor="middle">${value}</text>` +
        `<text x="${fmt(x + w / 2)}" y="${height - bottom + 14}" text-anchor="middle">${esc(band.short)}</text></g>`
      );
    }).join('');
    return (
      `<figure class="account-ages" data-account="${esc(account.name)}" data-account-id="${esc(account.id)}" data-keys="${account.keys}">` +
      `<figcaption>${esc(account.name)} <small>(${esc(account.id)}, ${account.keys} keys)</small></figcaption>` +
      `<svg class="histogram" role="img" aria-label="${esc(`keys of ${account.name} by last access`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
      `<line x1="10" y1="${top + plot}" x2="${width - 10}" y2="${top + plot}" stroke="#9aa5b1"/>${bars}</svg></figure>`
    );
  });
  return `<div class="charts">${figures.join('\n')}</div>`;
}

/** Grouped bars: per run, one bar per stage; the numbers again in a table below. */
function stageChart(runs: readonly RunStages[]): string {
  if (runs.length === 0) return '<p class="empty">No cleanup has run yet (cloudsweep workflow run cleanup).</p>';
  const max = Math.max(1, ...runs.flatMap((run) => STAGES.map((stage) => run.counts[stage] ?? 0)));
  const group = STAGES.length * 16 + 24;
  const left = 36;
  const top = 18;
  const plot = 180;
  const width = Math.max(480, left + runs.length * group + 10);
  const height = top + plot + 46;
  const ticks = [0, Math.round(max / 2), max]
    .map((tick) => {
      const y = top + plot - Math.round((tick / max) * plot);
      return `<line x1="${left}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#e4e7eb"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${tick}</text>`;
    })
    .join('');
  const groups = runs
    .map((run, r) => {
      const x0 = left + r * group + 12;
      const bars = STAGES.map((stage, s) => {
        const value = run.counts[stage];
        const h = Math.round(((value ?? 0) / max) * plot);
        const x = x0 + s * 16;
        const y = top + plot - h;
        const shown = value === null ? 'unknown' : String(value);
        return (
          `<rect class="bar" x="${x}" y="${y}" width="13" height="${h}" fill="${STAGE_COLORS[stage]}" data-run="${esc(run.run_id)}" data-stage="${stage}" data-value="${value === null ? '' : value}">` +
          `<title>${esc(run.run_id)}: ${stage} ${shown}${run.dry_run && (stage === 'deleted' || stage === 'deactivated') ? ' (dry run: would be)' : ''}</title></rect>` +
          (value ? `<text class="value" x="${x + 6.5}" y="${y - 3}" text-anchor="middle">${value}</text>` : '')
        );
      }).join('');
      const label = `${run.started_at.slice(5, 16).replace('T', ' ')}${run.dry_run ? ' dry' : ''}`;
      return `<g class="run" data-run="${esc(run.run_id)}" data-dry-run="${run.dry_run}">${bars}<text x="${x0 + (STAGES.length * 16) / 2}" y="${top + plot + 16}" text-anchor="middle">${esc(label)}</text></g>`;
    })
    .join('');
  const legend = `<ul class="legend">${STAGES.map((stage) => `<li><span style="background:${STAGE_COLORS[stage]}"></span>${stage}</li>`).join('')}</ul>`;
  const rows = runs
    .map(
      (run) =>
        `<tr data-run="${esc(run.run_id)}"><td>${esc(run.run_id)}</td><td>${esc(run.workflow)}</td><td>${esc(run.started_at)}</td><td>${run.dry_run ? 'yes' : 'no'}</td>` +
        `${STAGES.map((stage) => `<td class="n">${run.counts[stage] ?? '–'}</td>`).join('')}<td class="n">${run.failed}</td></tr>`,
    )
    .join('\n');
  return (
    `<p class="note">Per cleanup run, oldest first. In a dry run, deactivated and deleted count what it would have done.</p>${legend}` +
    `<svg class="stages" role="img" aria-label="keys per stage per run" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `${ticks}${groups}</svg>\n<table class="stages"><thead><tr><th>run</th><th>workflow</th><th>started</th><th>dry run</th>` +
    `${STAGES.map((stage) => `<th class="n">${stage}</th>`).join('')}<th class="n">failed</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
}

/** Horizontal bars: the users with the most keys idle longer than the stale bound. */
function ownerChart(report: ReportData): string {
  if (report.owners.length === 0) return `<p class="empty">No key has been unused for more than ${report.stale_days} days.</p>`;
  const max = Math.max(1, ...report.owners.map((owner) => owner.stale_keys));
  const label = 220;
  const plot = 380;
  const row = 22;
  const width = label + plot + 40;
  const height = report.owners.length * row + 8;
  const bars = report.owners
    .map((owner, i) => {
      const y = 4 + i * row;
      const w = Math.max(2, Math.round((owner.stale_keys / max) * plot));
      const name = `${owner.user} (${owner.account})`;
      return (
        `<g class="owner"><text x="${label - 8}" y="${y + 14}" text-anchor="end">${esc(truncate(name, 34))}</text>` +
        `<rect class="bar" x="${label}" y="${y}" width="${w}" height="${row - 6}" fill="#c0392b" data-user="${esc(owner.user)}" data-account="${esc(owner.account)}" data-value="${owner.stale_keys}">` +
        `<title>${esc(name)}: ${owner.stale_keys} stale keys, oldest unused ${owner.oldest_idle_days} days</title></rect>` +
        `<text class="value" x="${label + w + 6}" y="${y + 13}">${owner.stale_keys}</text></g>`
      );
    })
    .join('');
  const rows = report.owners
    .map((owner) => `<tr><td>${esc(owner.user)}</td><td>${esc(owner.account)}</td><td class="n">${owner.stale_keys}</td><td class="n">${owner.oldest_idle_days}</td></tr>`)
    .join('\n');
  return (
    `<p class="note">Users by keys unused for more than ${report.stale_days} days (never-used keys count from their creation).</p>` +
    `<svg class="owners" role="img" aria-label="users with the most stale keys" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>\n` +
    `<table class="owners"><thead><tr><th>user</th><th>account</th><th class="n">stale keys</th><th class="n">oldest unused (days)</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
}

function exemptionTable(report: ReportData): string {
  if (report.exemptions.length === 0) return '<p class="empty">Nothing is protected.</p>';
  const rows = report.exemptions
    .map(
      (exemption) =>
        `<tr data-scope="${exemption.scope}"><td>${exemption.scope}</td><td>${esc(exemption.user)}</td><td>${esc(exemption.account)}</td>` +
        `<td>${exemption.keys.map(esc).join('<br>')}</td><td>${esc(exemption.reason)}</td></tr>`,
    )
    .join('\n');
  return (
    '<p class="note">Keys cleanup never touches: protected keys, and every key of a protected user or of a user carrying the protect tag.</p>' +
    `<table class="exemptions"><thead><tr><th>scope</th><th>user</th><th>account</th><th>keys</th><th>reason</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
}

function lastRun(report: ReportData): string {
  const run = report.last_run;
  if (!run) return '<p class="empty">No workflow has run yet.</p>';
  const head =
    `<dl class="run"><dt>run</dt><dd>${esc(run.run_id)}</dd><dt>workflow</dt><dd>${esc(run.workflow)}</dd>` +
    `<dt>status</dt><dd class="status-${esc(run.status)}">${esc(run.status)}</dd><dt>started</dt><dd>${esc(run.started_at)}</dd>` +
    `<dt>duration</dt><dd>${run.duration_ms === null ? '–' : `${(run.duration_ms / 1000).toFixed(1)} s`}</dd>` +
    (run.error ? `<dt>error</dt><dd>${esc(run.error)}</dd>` : '') +
    '</dl>';
  const steps = run.steps
    .map(
      (step) =>
        `<h3>${esc(step.event)} <small class="status-${esc(step.status)}">${esc(step.status)}</small></h3><dl class="summary">` +
        Object.entries(step.summary)
          .map(([name, value]) => `<dt>${esc(name)}</dt><dd>${esc(String(value))}</dd>`)
          .join('') +
        '</dl>',
    )
    .join('\n');
  return `${head}\n${steps}`;
}

/** HTML-escapes text for an element or a double- or single-quoted attribute. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}
