// Passkeys in real headless Chromium with its virtual authenticator (CDP
// WebAuthn: ctap2, internal transport, resident keys, user verification):
// add a passkey on /account/passkeys, sign out, sign in with the passkey
// alone from /login (the button, then the autofill); sign out, sign in with the password and use the
// passkey as the second step; re-authenticate with it; then remove it; a security key without a PIN
// as the second step, confirming with the password beside it; then create an account with a
// passkey and no password, and sign in with it.
// Usage: node passkeys.mjs http://127.0.0.1:PORT http://localhost:PORT
// (the second is the site's base URL: WebAuthn refuses IP addresses)
import { check, launch, register, signIn, signOut, usage } from "./launch.mjs";

const [served, named] = process.argv.slice(2);
const base = named || served;
if (!base) usage("node passkeys.mjs BASE_URL");
const password = "a quiet walk by the river 7";
// A platform authenticator (like Windows Hello or Touch ID): discoverable
// credentials, user verification.
const platformAuthenticator = {
  options: {
    protocol: "ctap2",
    transport: "internal",
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
    automaticPresenceSimulation: true,
  },
};

const browser = await launch();
try {
  const context = await browser.newContext();
  // Chromium's virtual authenticator answers a conditional (autofill)
  // request at once, as if the person had picked the passkey: it is
  // switched off except on /login?autofill, so each path is tested alone.
  await context.addInitScript(() => {
    if (!location.search.includes("autofill") && window.PublicKeyCredential) {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", platformAuthenticator);

  await register(page, base, "e2e_passkey", password);

  await page.getByRole("link", { name: "Passkeys" }).first().click();
  await page.waitForURL(`${base}/account/passkeys`);
  await page.getByLabel("Name of the new passkey").fill("Chromium");
  page.on("console", (m) => console.log("console:", m.text()));
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.waitForTimeout(3000);
  console.log("status:", await page.locator("#passkey-add-status, [role=status]").allTextContents());
  await page.locator("#passkeys .passkey-name", { hasText: "Chromium" }).waitFor();
  check(true, "the passkey is added and listed by its name");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  check(credentials.length === 1 && credentials[0].isResidentCredential, "the authenticator holds one discoverable credential");

  await signOut(page, base);
  const button = page.getByRole("button", { name: "Sign in with a passkey" });
  await button.waitFor();
  await button.click();
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, e2e_passkey"), "the passkey alone signs in: Hello, e2e_passkey");

  await signOut(page, base);
  await page.goto(`${base}/login?autofill=1`);
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, e2e_passkey"), "the passkey picked from the username field's autofill signs in");

  await signOut(page, base);
  await signIn(page, "e2e_passkey", password);
  await page.waitForURL(`${base}/login/mfa`);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, e2e_passkey"), "password + passkey signs in");

  await page.goto(`${base}/reauth?next=%2Faccount%2Fpasskeys`);
  await page.getByRole("button", { name: "Confirm with a passkey" }).click();
  await page.waitForURL(`${base}/account/passkeys`);
  check(true, "the passkey confirms it is you (re-authentication)");

  await page.goto(`${base}/account/passkeys`);
  check((await page.textContent("#passkeys")).includes("last used just now"), "the list shows when it was last used, for people: last used just now");
  await page.getByRole("button", { name: "Remove Chromium" }).click();
  await page.waitForURL(`${base}/account/passkeys`);
  check((await page.textContent("#passkeys")).includes("You have no passkey yet"), "the passkey is removed");

  // A security key without a PIN (no user verification, no resident key):
  // added as a second step only; it follows the password, and confirms a
  // sensitive action with the password typed beside it.
  await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
  const { authenticatorId: keyId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "usb",
      hasResidentKey: false,
      hasUserVerification: false,
      automaticPresenceSimulation: true,
    },
  });
  await page.getByLabel("Name of the new passkey").fill("Key without PIN");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.locator("#passkeys .passkey-name", { hasText: "Key without PIN" }).waitFor();
  check(true, "a security key without a PIN is added");
  await signOut(page, base);
  await signIn(page, "e2e_passkey", password);
  await page.waitForURL(`${base}/login/mfa`);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.waitForURL(`${base}/account`);
  check(true, "password + the security key without a PIN signs in");
  await page.goto(`${base}/reauth?next=%2Faccount%2Fpasskeys`);
  await page.getByRole("button", { name: "Confirm with a passkey" }).click();
  await page.locator("#passkey-status", { hasText: "type your password above too" }).waitFor();
  check(page.url().includes("/reauth"), "the key alone does not confirm a sensitive action");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Confirm with a passkey" }).click();
  await page.waitForURL(`${base}/account/passkeys`);
  check(true, "the key with the password typed beside it confirms it is you");
  await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: keyId });
  const { authenticatorId: platformId } = await cdp.send("WebAuthn.addVirtualAuthenticator", platformAuthenticator);

  // A new account made with a passkey and no password, which then signs in.
  await cdp.send("WebAuthn.clearCredentials", { authenticatorId: platformId });
  await signOut(page, base);
  await page.goto(`${base}/register`);
  await page.getByLabel("Username").fill("e2e_passkey_only");
  await page.getByLabel("E-mail address").fill("e2e_passkey_only@example.com");
  await page.getByRole("button", { name: "Create the account with a passkey instead" }).click();
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, e2e_passkey_only"), "an account made with a passkey alone is signed in");
  await signOut(page, base);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, e2e_passkey_only"), "and signs in again with it");
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
} finally {
  await browser.close();
}
