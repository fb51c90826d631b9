// The browser of e2e/webui_test.go: opens a page of the Temporal Web UI in
// headless Chromium (Debian's chromium, driven by playwright-core; no
// browser is downloaded), waits until every TEXT is visible or TIMEOUT_MS
// pass, saves a full-page PNG screenshot and prints one JSON line:
// {"found": ..., "url": ..., "text": ..., "requests": [...], "error": ...}
// where text is the page's visible text and requests are the calls the page
// made to other origins than its own (the codec server's), with their
// X-Namespace header and status. It exits 0 when every TEXT showed, 1 when
// not (after the screenshot and the JSON line), 2 on a usage error and 3
// when the browser cannot run.
// Usage: node webui.js URL SCREENSHOT PROFILE_DIR TIMEOUT_MS TEXT...
// CHROMIUM is the browser's path (default /usr/bin/chromium).
'use strict';
const { chromium } = require('playwright-core');

/**
 * @typedef {{ method: string, url: string, namespace: string, status: number | string }} Request
 */

async function main() {
  const [url, screenshot, profile, timeoutArg, ...texts] = process.argv.slice(2);
  const timeout = Number(timeoutArg);
  if (!url || !screenshot || !profile || !(timeout > 0) || texts.length === 0) {
    console.error('usage: node webui.js URL SCREENSHOT PROFILE_DIR TIMEOUT_MS TEXT...');
    return 2;
  }
  const deadline = Date.now() + timeout;
  const origin = new URL(url).origin;
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
    timeout,
  });
  /** @type {Request[]} */
  const requests = [];
  let found = false;
  let error = '';
  let text = '';
  let finalURL = url;
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('requestfinished', async (req) => {
      if (new URL(req.url()).origin === origin) return;
      const res = await req.response();
      requests.push({ method: req.method(), url: req.url(), namespace: req.headers()['x-namespace'] || '', status: res ? res.status() : 'none' });
    });
    page.on('requestfailed', (req) => {
      if (new URL(req.url()).origin === origin) return;
      requests.push({ method: req.method(), url: req.url(), namespace: req.headers()['x-namespace'] || '', status: req.failure()?.errorText || 'failed' });
    });
    try {
      // A running workflow's page polls forever: wait for the text, not
      // for the network to go idle.
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: Math.max(deadline - Date.now(), 1) });
      for (const t of texts) {
        // The first visible match: hidden ones (other tabs) do not count.
        await page.getByText(t).filter({ visible: true }).first().waitFor({ timeout: Math.max(deadline - Date.now(), 1) });
      }
      found = true;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    finalURL = page.url();
    await page.screenshot({ path: screenshot, fullPage: true, timeout: 30000 });
    text = await page.locator('body').innerText({ timeout: 30000 });
  } finally {
    await context.close();
  }
  console.log(JSON.stringify({ found, url: finalURL, text, requests, error }));
  return found ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(3);
  },
);
