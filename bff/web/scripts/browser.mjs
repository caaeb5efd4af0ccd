// Debian's headless Chromium with the flags this closed network needs: without the
// background-networking ones it floods the machine with refused connections at every start.
// playwright-core gives every launch a fresh, empty profile directory of its own.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
