import { buildReport, ReportData } from '../../../src/report/report-data';
import { renderReportHtml } from '../../../src/report/report-html';
import { InventoryGraph } from '../../../src/inventory/graph';
import { accessKeyNode, accountNode, userNode } from '../../../src/inventory/model';

const NOW = new Date('2026-11-24T12:00:00Z');
const HOSTILE = `<script>alert("x")</script><img src=x onerror='fetch("//evil")'>&amp;`;

function hostileReport(): ReportData {
  const graph = new InventoryGraph();
  graph.addNode(accountNode({ id: '111111111111', name: `acct"><svg onload=alert(1)>` }));
  graph.addNode(userNode({ id: 'AIDAX', name: HOSTILE, arn: 'arn:aws:iam::111111111111:user/x', path: '/', ctime: '2020-01-01T00:00:00Z', atime: null, tags: { 'cloudsweep:protect': `</td><b>yes` }, password_enabled: false, mfa_active: false }));
  graph.addEdge('111111111111', 'AIDAX');
  graph.addNode(accessKeyNode({ id: 'AKIAX', name: 'AKIAX', user_name: HOSTILE, ctime: '2020-01-01T00:00:00Z', atime: null, access_key_status: 'Active', access_key_last_used: { last_used: null, service_name: null, region: null } }));
  graph.addEdge('AIDAX', 'AKIAX');
  return buildReport({ graph, audit: [], runs: [], protectTags: ['cloudsweep:protect'], now: NOW });
}

describe('the report page', () => {
  it('escapes every value from the inventory, in text and in attributes', () => {
    const html = renderReportHtml(hostileReport());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<svg onload');
    expect(html).not.toContain('<b>yes');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;fetch(&quot;//evil&quot;)&#39;&gt;&amp;amp;');
    expect(html).toContain('data-account="acct&quot;&gt;&lt;svg onload=alert(1)&gt;"');
  });

  it('forbids the browser any fetch, and carries no script', () => {
    const html = renderReportHtml(hostileReport());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import|url\(/);
  });

  it('says what to do on an empty inventory and before any run', () => {
    const html = renderReportHtml(buildReport({ graph: new InventoryGraph(), audit: [], runs: [], protectTags: [], now: NOW }));
    expect(html).toContain('The inventory is empty: collect first (cloudsweep workflow run collect).');
    expect(html).toContain('No cleanup has run yet');
    expect(html).toContain('No workflow has run yet.');
    expect(html).toContain('Nothing is protected.');
  });
});
