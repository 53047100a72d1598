/**
 * The run inspector in real headless Chromium (Debian's chromium driven by playwright-core)
 * against the real local stack: a finished run opened from the keyboard, a live run followed to
 * its end without a reload, streamed model output, and the page's security headers.
 * Screenshots are kept in test/artifacts/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Stack } from '../../local/stack';
import { api, run, startTestStack, TENANT_A } from '../e2e/helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '../artifacts');
const hasChromium = fs.existsSync(CHROMIUM);
const describeInBrowser = hasChromium ? describe : describe.skip;
if (!hasChromium) {
  // Skipped loudly: .ci/run installs Debian's chromium, so this only happens on a bare machine.
  console.warn(`SKIPPED the inspector browser tests: ${CHROMIUM} is missing (apt-get install -y chromium).`);
}

let stack: Stack;
let context: BrowserContext;
let base: string;
const foreignRequests: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  ({ stack } = await startTestStack());
  base = stack.urls['api-gateway'];
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('data:')) foreignRequests.push(req.url());
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await stack?.stop();
});

/** Retries `assertion` until it passes or `timeoutMs` ends: the page updates on its own time. */
async function eventually(assertion: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent()) ?? '';

/**
 * Run in the page: every visible element with its own text whose colour against its effective
 * background is below WCAG 2 AA (4.5:1, or 3:1 for large text).
 */
const CONTRAST_FAILURES = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const channel = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || el.closest('svg') || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    const [hi, lo] = [luminance(rgb(style.color)), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const isLarge = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const what = el.tagName + ' ' + ratio.toFixed(2) + ' ' + el.textContent.trim().slice(0, 40);
    if (ratio < (isLarge ? 3 : 4.5)) failures.push(what);
  }
  return failures;
})()`;

/** A page that already holds the key, as after the user entered it once in this tab. */
async function pageWithKey(): Promise<Page> {
  const page = await context.newPage();
  await page.addInitScript(`sessionStorage.setItem('ddo.apiKey', ${JSON.stringify(TENANT_A.key)})`);
  return page;
}

describeInBrowser('the run inspector', () => {
  it('shows a finished run opened from the keyboard: timeline, plan graph, steps, tokens and answer', async () => {
    const done = await run(stack, 'What is (17 * 23) + 4?');
    const runId = String(done.body.runId);
    const page = await context.newPage();

    await page.goto(`${base}/ui`);
    await page.getByLabel('API key').fill(TENANT_A.key);
    await page.keyboard.press('Enter');
    const link = page.locator(`#runs-list a[href="#/runs/${runId}"]`);
    await link.waitFor();
    const isFocused = () => link.evaluate((a) => a === a.ownerDocument.activeElement);
    for (let i = 0; i < 20 && !(await isFocused()); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    await eventually(async () => expect(await text(page, '#run-title')).toBe(`Run ${runId}`));
    // The record comes first, the timeline as the event log streams in.
    const phases = page.locator('#timeline ol.iteration > li');
    await eventually(async () => {
      expect(await phases.locator('strong').allTextContents()).toEqual(['think', 'plan', 'act', 'reflect']);
    });
    expect(await text(page, '#run-live')).toBe('Run completed.');
    expect(await text(page, '.answer')).toContain('395');
    for (const text of await phases.allInnerTexts()) expect(text).toMatch(/\d+(\.\d+)? m?s/);
    expect(await page.getByRole('img', { name: /Plan graph: s1 calculator succeeded/ }).isVisible()).toBe(true);
    const step = page.locator('#plan tbody tr');
    expect(await step.textContent()).toContain('"expression": "(17 * 23) + 4"');
    expect(await step.textContent()).toContain('"result": 395');
    expect(await text(page, '#usage')).toMatch(/\d+ tokens: \d+ in, \d+ out, in 2 model calls\./);
    expect(await link.getAttribute('aria-current')).toBe('true');
    await page.screenshot({ path: path.join(ARTIFACTS, 'inspector-finished-run.png'), fullPage: true });
    await page.close();
  });

  it('follows a live run to its end without a reload', async () => {
    const page = await pageWithKey();
    // A paused executor holds the run in PLAN until it is resumed: live, and deterministic.
    stack.kill('executor', 'SIGSTOP');
    let runId = '';
    try {
      const json = { input: 'What is 6 * 7?' };
      const started = await api(stack, 'POST', '/v1/agents/demo/runs', { who: TENANT_A, json });
      runId = String(started.body.runId);
      await page.goto(`${base}/ui#/runs/${runId}`);
      await page.evaluate('window.loadedOnce = true');

      await eventually(async () => {
        expect(await text(page, '#run-facts .badge')).toBe('running');
        expect(await page.locator('#timeline li', { hasText: 'plan' }).textContent()).toContain('running…');
        expect(await text(page, '#run-live')).toBe('Run is running: plan phase.');
      });
      await page.screenshot({ path: path.join(ARTIFACTS, 'inspector-live-run-running.png'), fullPage: true });
    } finally {
      stack.kill('executor', 'SIGCONT');
    }

    await eventually(async () => {
      expect(await text(page, '#run-facts .badge')).toBe('completed');
      expect(await text(page, '.answer')).toBe('6 * 7 = 42.');
      expect(await text(page, '#run-live')).toBe('Run completed.');
    }, 20_000);
    const phases = await page.locator('#timeline ol.iteration > li strong').allTextContents();
    expect(phases).toEqual(['think', 'plan', 'act', 'reflect']);
    expect(await page.evaluate('window.loadedOnce')).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'inspector-live-run-done.png'), fullPage: true });
    await page.close();
  }, 40_000);

  it('appends streamed model output and lists policy decisions as their log entries arrive', async () => {
    const page = await pageWithKey();
    const runId = 'run-streamed';
    const view = {
      runId, agentId: 'demo', sessionId: runId, status: 'completed', phase: 'done', output: 'Hello there.', error: null,
      iterations: 1, steps: [], usage: { inputTokens: 3, outputTokens: 2, modelCalls: 1 },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:01.000Z',
      completedAt: '2026-01-01T00:00:01.000Z',
    };
    const entries = [
      { type: 'status', status: 'running', iteration: 1 },
      { type: 'phase', phase: 'think', iteration: 1 },
      { type: 'phase', phase: 'reflect', iteration: 1 },
      { type: 'policy', outcome: 'deny', stage: 'before', tool: 'http_get', policyId: 'egress', reason: 'not declared' },
      { type: 'delta', phase: 'reflect', iteration: 1, text: 'Hello' },
      { type: 'delta', phase: 'reflect', iteration: 1, text: ' there.' },
      { type: 'status', status: 'completed', iteration: 1, output: 'Hello there.' },
    ].map((e, i) => ({ seq: i + 1, at: `2026-01-01T00:00:00.${String(i * 100).padStart(3, '0')}Z`, ...e }));
    const stream = entries.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
    await page.route(`${base}/v1/runs/${runId}`, (route) => route.fulfill({ json: view }));
    await page.route(`${base}/v1/runs/${runId}/events`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/event-stream', body: stream }),
    );

    await page.goto(`${base}/ui#/runs/${runId}`);

    await eventually(async () => {
      expect(await text(page, '#deltas pre')).toBe('Hello there.');
      expect(await text(page, '#deltas h4')).toBe('Iteration 1, reflect');
      expect(await text(page, '#policy tbody tr')).toMatch(/deny.*before http_get.*egress.*not declared/);
    });
    await page.close();
  });

  it('keeps every text at WCAG AA contrast, in the light and the dark colour scheme', async () => {
    const done = await run(stack, "How many words are in 'the quick brown fox'?");
    const page = await pageWithKey();
    await page.goto(`${base}/ui#/runs/${String(done.body.runId)}`);
    await eventually(async () => expect(await text(page, '#run-live')).toBe('Run completed.'));

    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });

      expect({ colorScheme, failures: await page.evaluate(CONTRAST_FAILURES) }).toEqual({ colorScheme, failures: [] });
    }
    await page.close();
  });

  it('asks for the key again when the server refuses it', async () => {
    const page = await context.newPage();

    await page.goto(`${base}/ui`);
    await page.getByLabel('API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Use key' }).click();

    await eventually(async () => {
      expect(await page.getByRole('alert').textContent()).toBe('The server refused that key. Enter a valid API key.');
      expect(await page.getByLabel('API key').isVisible()).toBe(true);
    });
    await page.close();
  });

  it('is served with a policy that allows only its own origin and no inline script', async () => {
    const res = await fetch(`${base}/ui`);

    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).not.toMatch(/<script>|<style>| on[a-z]+=/);
    expect(foreignRequests).toEqual([]);
  });
});
