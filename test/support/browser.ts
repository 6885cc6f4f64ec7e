import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (CI installs it); CHROMIUM_PATH points elsewhere if needed. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync',
    ],
  });
}

export const LAPTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** Collects script errors and anything the content security policy blocked into `problems`. */
export function watchPage(p: Page, problems: string[]): Page {
  p.on('pageerror', (err) => problems.push(`${p.url()}: ${err.message}`));
  p.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`${p.url()}: ${msg.text()}`);
  });
  return p;
}

/** Where the tests leave screenshots for a reviewer (git-ignored). */
export const SCREENSHOT_DIR = resolve('test-artifacts', 'screenshots');

let announced = false;

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  if (!announced) {
    announced = true;
    process.stdout.write(`screenshots: ${SCREENSHOT_DIR}\n`);
  }
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  // From the top: the sticky navigation then sits where a reader expects it.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
