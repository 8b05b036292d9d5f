/**
 * Debian's chromium, headless, through playwright-core, for the browser tests (report.html, the
 * reviewer app). `.ci/run` installs it; ACCESSPROOF_CHROMIUM names another binary.
 */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.ACCESSPROOF_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (containers), no GPU, and nothing that reaches out on its own. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails with how to install it when the browser is missing (the test must run, not skip). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set ACCESSPROOF_CHROMIUM)`);
}

/** A browser with a fresh temporary profile; each person gets a context (cookie jar) of it. */
export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** One context on a profile folder of the caller's, with the network switched off (`offline`). */
export function launchOfflineContext(profile: string): Promise<BrowserContext> {
  requireChromium();
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    offline: true,
    args: ARGS,
  });
}
