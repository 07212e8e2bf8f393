// Shared by the browser tests: Debian's Chromium (never a downloaded browser)
// with the flags this machine's closed network needs, a checked step, and the
// steps most tests take: creating an account, signing in and signing out.
import { chromium } from "playwright-core";

export function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok: ${message}`);
}

// Says how the script is called (`node SCRIPT ARGUMENTS`) and exits with status 2.
export function usage(text) {
  console.error(`usage: ${text}`);
  process.exit(2);
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}

// The labels of /register's form in English.
const registerLabels = {
  username: "Username",
  email: "E-mail address",
  password: "Password",
  repeat: "Repeat the password",
  submit: "Create account",
};

// Creates the account `name` with `password` on /register's form (its
// labels in English unless `labels` says otherwise; the address
// name@example.com unless `email` says otherwise) and waits for the account
// page it leads to.
export async function register(page, base, name, password, { email = `${name}@example.com`, labels = registerLabels } = {}) {
  await page.goto(`${base}/register`);
  await page.getByLabel(labels.username).fill(name);
  await page.getByLabel(labels.email).fill(email);
  await page.getByLabel(labels.password, { exact: true }).fill(password);
  await page.getByLabel(labels.repeat).fill(password);
  await page.getByRole("button", { name: labels.submit }).click();
  await page.waitForURL(`${base}/account`);
}

// Sends the login form, on the page, with `name` and `password`.
export async function signIn(page, name, password) {
  await page.getByLabel("Username or e-mail").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

// Signs out with the header's button and waits for the login page.
export async function signOut(page, base) {
  await page.locator("#sign-out").click();
  await page.waitForURL(`${base}/login`);
}
