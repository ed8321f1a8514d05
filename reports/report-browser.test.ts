import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate, prepareChecks } from './aggregate.js';
import { parseExpectations } from './expectations.js';
import { fixtureChecks, fixtureRun, hostileKey, issueSecrets } from './test/fixtures.js';
import { writeReports } from './write.js';

/**
 * report.html in a real browser: Debian's headless Chromium driven by playwright-core. It renders, logs no console
 * error, makes no request beyond its own file, prints, and a failing run shows its failure details.
 */

const chromiumPath = '/usr/bin/chromium';
const secrets = issueSecrets();
let browser: Browser;
let workDir: string;

interface Opened {
  readonly page: Page;
  readonly consoleErrors: string[];
  readonly blockedRequests: string[];
}

async function open(reportDir: string): Promise<Opened> {
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  const blockedRequests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blockedRequests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(join(reportDir, 'report.html')).href, { waitUntil: 'load' });
  return { page, consoleErrors, blockedRequests };
}

async function writeRun(name: string, faults: Parameters<typeof fixtureChecks>[1], expectations?: Record<string, string>): Promise<string> {
  const dir = join(workDir, name);
  const run = fixtureRun();
  const options = { knownSecrets: [secrets.managementToken], ...(expectations ? { expectations: parseExpectations(expectations) } : {}) };
  const checks = prepareChecks(fixtureChecks(secrets, faults), run, options);
  await writeReports(dir, aggregate(checks, run, options), checks);
  return dir;
}

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium (Debian) to run the browser test`);
  workDir = await mkdtemp(join(tmpdir(), 'ibee-report-browser-'));
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it('a failing run renders its failures, counterexamples, replay commands and the matrix, offline and without errors', async () => {
    const dir = await writeRun('failing', { readOnlyWrite: true, revokeLag: true, secretLeak: true });
    const { page, consoleErrors, blockedRequests } = await open(dir);
    try {
      expect(await page.title()).toMatch(/^IBEE conformance: FAIL/);
      await expect(page.locator('.verdict').innerText()).resolves.toBe('FAIL');

      // The failed permission requirement: its message, the shrunk counterexample (hostile key shown as text),
      // seed and path, redacted evidence and the replay command, all visible.
      const row = page.locator('#req-PERM-OBJECT-RO');
      await expect(row.locator('td.status .badge.s-failed').isVisible()).resolves.toBe(true);
      const rowText = await row.innerText();
      expect(rowText).toContain('PutObject with an Object Read only token on an in-scope bucket was allowed');
      expect(rowText).toContain(`"key":${JSON.stringify(hostileKey)}`);
      expect(rowText).toContain('Seed 1234567, path 3:1:0');
      expect(rowText).toContain('Signature=[REDACTED]');
      expect(rowText).toMatch(/Replay: npx ibee-conformance run .* --only PERM-OBJECT-RO,PERM-DENIED-CODE --seed 1234567/);
      // The hostile key did not become markup.
      expect(await page.locator('script, img, iframe').count()).toBe(0);

      const revoke = await page.locator('#req-REVOKE-IMMEDIATE').innerText();
      expect(revoke).toContain('RevokeToken(t0), GetObject(t0, "k")');
      expect(revoke).toMatch(/npx ibee-conformance run --api-url .* --only REVOKE-IMMEDIATE --seed 424242/);

      // The matrix: exactly the faulty cell is red, and says what was observed.
      const mismatches = page.locator('table.matrix td.cell-mismatch');
      await expect(mismatches.count()).resolves.toBe(1);
      await expect(mismatches.first().getAttribute('title')).resolves.toBe(
        'PutObject, Object Read only, in scope: expected deny, observed allow',
      );
      await expect(mismatches.first().innerText()).resolves.toBe('deny\n→ allow');
      // Runs in the page; this package's TypeScript has no DOM lib, hence the narrow type.
      const cellColour = await mismatches
        .first()
        .evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
      expect(cellColour).toBe('rgb(207, 34, 46)');

      // Observed behaviour and not-applicable reasons.
      const observed = await page.locator('#observed').innerText();
      expect(observed).toContain('"accepted": true');
      expect(observed).toContain('InvalidAccessKeyId');
      expect(await page.locator('#req-TOKEN-EXPIRY-ENFORCED').innerText()).toContain('the target has no time travel');

      // Summary: target, seed, scores.
      const summary = await page.locator('#summary').innerText();
      expect(summary).toContain('https://p1.blob.example.test');
      expect(summary).toContain('1234567');
      expect(summary).toMatch(/MUST\s+\d+\.\d%/);

      // No secret is on the page.
      const html = await page.content();
      for (const value of [secrets.bearer, secrets.secretAccessKey, secrets.managementToken]) expect(html).not.toContain(value);

      // Printable: Chromium lays it out as a PDF.
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

      expect(consoleErrors).toEqual([]);
      expect(blockedRequests).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('a conforming run (with a listed known failure) shows PASS and marks the known failure', async () => {
    const dir = await writeRun('passing', { revokeLag: true }, { 'REVOKE-IMMEDIATE': 'failed', 'REVOKE-PERMANENT': 'failed', 'SECRET-ONCE': 'failed' });
    const { page, consoleErrors, blockedRequests } = await open(dir);
    try {
      await expect(page.locator('.verdict').innerText()).resolves.toBe('PASS');
      await expect(page.locator('#req-REVOKE-IMMEDIATE td.status .s-known').innerText()).resolves.toBe('known failure');
      await expect(page.locator('#req-SECRET-ONCE td.status .badge').allInnerTexts()).resolves.toEqual(['passed', 'unexpected pass']);
      expect(await page.locator('#summary').innerText()).toContain('Unexpected passes');
      await expect(page.locator('table.matrix td.cell-mismatch').count()).resolves.toBe(0);
      expect(consoleErrors).toEqual([]);
      expect(blockedRequests).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('the request guard works: an external resource would have been caught (control for the checks above)', async () => {
    const dir = join(workDir, 'control');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'report.html'), '<!DOCTYPE html><html><body><img src="https://example.test/pixel.png"></body></html>');
    const { page, blockedRequests } = await open(dir);
    await page.close();
    expect(blockedRequests).toEqual(['https://example.test/pixel.png']);
  });

  it('the file is self-contained: no external URL outside links, one inline style, no script', async () => {
    const html = await readFile(join(await writeRun('static', { readOnlyWrite: true }), 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).not.toMatch(/<[^>]*\bsrc=/i);
    expect(html).toContain(`default-src 'none'`);
  });
});
