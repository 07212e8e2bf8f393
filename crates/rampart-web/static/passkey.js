// Rampart's one script: the WebAuthn ceremonies of passkeys.
//  - /login: "Sign in with a passkey" (#passkey-sign-in), and the browser's
//    passkey autofill on the username field (conditional mediation);
//  - /account/passkeys: "Add a passkey" (#passkey-add);
//  - /password/reset: "Add a new passkey instead" (#passkey-recover), for an
//    account without a password whose passkeys are lost;
//  - /register: "Create the account with a passkey instead"
//    (#passkey-sign-up), with the form's username and address;
//  - /login/mfa and /reauth: "Use a passkey" (#passkey-prove), one of the
//    account's passkeys as the second step or to confirm it is you.
// The server keeps each ceremony (POST …/options gives its token and the
// options; the answer goes back with the token). Pages work without this
// script; only passkeys need it. Allowed by the CSP as 'self'; no inline code.
"use strict";
(() => {
  const bytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };
  const text = (buffer) => {
    let binary = "";
    for (const b of new Uint8Array(buffer)) binary += String.fromCharCode(b);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const supported = () => typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

  // The page's words for these messages (passkey_words.html, in the page's
  // language); English when a page lacks them.
  const words = (document.getElementById("passkey-words") || { dataset: {} }).dataset;
  const said = (key, english) => words[key] || english;

  function say(element, message) {
    const status = document.getElementById(element.dataset.status);
    if (status) status.textContent = message;
  }

  async function post(element, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": element.dataset.csrf },
      body: JSON.stringify(body),
    });
  }

  // A POST that needed a fresh sign-in was sent to /reauth: go there.
  function followedToReauth(response) {
    if (response.redirected && new URL(response.url).pathname === "/reauth") {
      window.location.assign(response.url);
      return true;
    }
    return false;
  }

  function creationOptions(options) {
    const publicKey = options.publicKey;
    publicKey.challenge = bytes(publicKey.challenge);
    publicKey.user.id = bytes(publicKey.user.id);
    for (const c of publicKey.excludeCredentials || []) c.id = bytes(c.id);
    return publicKey;
  }

  function requestOptions(options) {
    const publicKey = options.publicKey;
    publicKey.challenge = bytes(publicKey.challenge);
    for (const c of publicKey.allowCredentials || []) c.id = bytes(c.id);
    return publicKey;
  }

  function created(credential) {
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: text(credential.response.attestationObject),
        clientDataJSON: text(credential.response.clientDataJSON),
        transports: credential.response.getTransports ? credential.response.getTransports() : [],
      },
      extensions: credential.getClientExtensionResults(),
    };
  }

  function asserted(credential) {
    const r = credential.response;
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: text(r.authenticatorData),
        clientDataJSON: text(r.clientDataJSON),
        signature: text(r.signature),
        userHandle: r.userHandle ? text(r.userHandle) : null,
      },
      extensions: credential.getClientExtensionResults(),
    };
  }

  // A finished step answers {"redirect": …} with the new cookies.
  async function go(answer) {
    const { redirect } = await answer.json();
    window.location.assign(redirect);
  }

  // Signing in: the button asks at once; the username field's autofill
  // asks quietly until the person picks a passkey or uses the button.
  function signIn(button) {
    let quiet = null;
    async function run(mediation) {
      // Made before the options are fetched, so that a click meanwhile
      // can cancel the quiet request.
      const signal = mediation ? (quiet = new AbortController()).signal : undefined;
      const started = await post(button, "/login/passkey/options", {});
      if (!started.ok) throw new Error("options");
      const options = await started.json();
      if (signal && signal.aborted) return;
      const request = { publicKey: requestOptions(options) };
      if (mediation) {
        request.mediation = mediation;
        request.signal = signal;
      }
      const credential = await navigator.credentials.get(request);
      const answer = await post(button, "/login/passkey", {
        ceremony: options.ceremony,
        credential: asserted(credential),
        next: button.dataset.next || "",
        rd: button.dataset.rd || "",
      });
      if (answer.ok) {
        await go(answer);
      } else {
        say(button, said("notAccepted", "That passkey was not accepted. Try again, or sign in with your password."));
      }
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
      if (quiet) quiet.abort();
      quiet = null;
      say(button, "");
      try {
        await run(null);
      } catch (error) {
        if (error.name !== "AbortError") say(button, said("signInFailed", "Signing in with a passkey did not work. Try again, or sign in with your password."));
      }
    });
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (available) run("conditional").catch(() => {});
      });
    }
  }

  // Proving with one of the account's passkeys; the button names where to
  // get the options (data-options) and where to send the answer
  // (data-answer).
  function prove(button) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      say(button, "");
      try {
        const started = await post(button, button.dataset.options, {});
        if (!started.ok) throw new Error("options");
        const options = await started.json();
        const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
        const body = {
          ceremony: options.ceremony,
          credential: asserted(credential),
          next: button.dataset.next || "",
        };
        // At /reauth, a passkey that asks for no PIN or fingerprint needs
        // the password typed beside it.
        const password = button.dataset.password && document.getElementById(button.dataset.password);
        if (password && password.value) body.password = password.value;
        const answer = await post(button, button.dataset.answer, body);
        if (answer.ok) {
          await go(answer);
          return;
        }
        say(button, password ? said("notAcceptedPassword", "That passkey was not accepted. If it asks for no PIN or fingerprint, type your password above too, then try again.") : said("notAcceptedShort", "That passkey was not accepted. Try again."));
      } catch (error) {
        say(button, said("confirmFailed", "Confirming with a passkey did not work. Try again."));
      }
    });
  }

  // A new account with a passkey and no password.
  function signUp(button) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      say(button, "");
      const field = (id) => (document.getElementById(id) || {}).value || "";
      try {
        const started = await post(button, "/register/passkey/options", {
          username: field("username"),
          email: field("email"),
        });
        if (!started.ok) {
          say(button, started.status === 422 ? said("fillIn", "Fill in a valid username and e-mail address first.") : said("signUpNotStarted", "Creating the account did not start. Try again."));
          return;
        }
        const options = await started.json();
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const answer = await post(button, "/register/passkey", {
          ceremony: options.ceremony,
          name: said("nameSignUp", "Passkey made at sign-up"),
          credential: created(credential),
        });
        if (answer.ok) {
          await go(answer);
          return;
        }
        say(button, answer.status === 409 ? said("taken", "That username or e-mail address is taken already.") : said("notCreated", "The account was not created. Try again."));
      } catch (error) {
        say(button, said("notCreated", "The account was not created. Try again."));
      }
    });
  }

  // Recovering a passkey-only account through its reset link.
  function recover(button) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      say(button, "");
      try {
        const token = button.dataset.token;
        const started = await post(button, "/password/reset/passkey/options", { token });
        if (!started.ok) throw new Error("options");
        const options = await started.json();
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const answer = await post(button, "/password/reset/passkey", {
          token,
          ceremony: options.ceremony,
          name: said("nameRecovery", "Passkey added at recovery"),
          credential: created(credential),
        });
        if (answer.ok) {
          await go(answer);
          return;
        }
        say(button, said("notAddedLink", "The passkey was not added. Ask for a new link and try again."));
      } catch (error) {
        say(button, said("notAdded", "The passkey was not added. Try again."));
      }
    });
  }

  function add(form) {
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button");
      const name = form.querySelector("input[name=name]").value;
      say(form, "");
      button.disabled = true;
      try {
        const started = await post(form, "/account/passkeys/options", {});
        if (followedToReauth(started)) return;
        if (!started.ok) throw new Error("options");
        const options = await started.json();
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const answer = await post(form, "/account/passkeys", {
          ceremony: options.ceremony,
          name,
          credential: created(credential),
        });
        if (followedToReauth(answer)) return;
        if (answer.status === 201) {
          window.location.assign("/account/passkeys");
          return;
        }
        say(form, answer.status === 422 ? said("nameTooLong", "Give the passkey a name of at most 64 characters.") : said("notAdded", "The passkey was not added. Try again."));
      } catch (error) {
        say(form, said("notAdded", "The passkey was not added. Try again."));
      } finally {
        button.disabled = false;
      }
    });
  }

  if (!supported()) return;
  const button = document.getElementById("passkey-sign-in");
  if (button) signIn(button);
  const form = document.getElementById("passkey-add");
  if (form) add(form);
  const proof = document.getElementById("passkey-prove");
  if (proof) prove(proof);
  const newAccount = document.getElementById("passkey-sign-up");
  if (newAccount) signUp(newAccount);
  const recovery = document.getElementById("passkey-recover");
  if (recovery) recover(recovery);
})();
