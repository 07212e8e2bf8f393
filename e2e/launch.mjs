// Shared by the browser tests: Debian's Chromium (never a downloaded browser)
// with the flags this machine's closed network needs, and a checked step.
import { chromium } from "playwright-core";

export function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok: ${message}`);
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}
