// Passkeys (WebAuthn): adding one on /settings/passkeys and signing in with one on the log-in
// page. Both are shown only in a browser that has PublicKeyCredential. The server's options
// and the browser's answers go as JSON (an answer as text, `{"credential": "..."}`), with the page's CSRF token in the X-CSRFToken header
// (journal/passkeys.py checks them).

function toBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function toText(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: toBytes(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
}

function answer(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const response = credential.response;
  const json = {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toText(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toText(response.attestationObject);
    json.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    json.response.authenticatorData = toText(response.authenticatorData);
    json.response.signature = toText(response.signature);
    if (response.userHandle) json.response.userHandle = toText(response.userHandle);
  }
  return json;
}

// A redirect is not followed: the journal answers a request whose sign-in ended (the idle
// time-out, a sign-out from another device) with one to the log-in page, whose HTML read as
// JSON said the browser had cancelled (see signedOut).
function postJSON(url, body, token) {
  return fetch(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
    credentials: "same-origin",
    redirect: "manual",
  });
}

// Whether the journal sent the request to log in: this page's sign-in has ended.
const signedOut = (response) => response.type === "opaqueredirect";

async function replyOf(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

function say(box, message) {
  box.textContent = message;
  box.hidden = !message;
}

const CANCELLED = "The passkey was not made: the browser's request was cancelled or timed out.";
const SIGNED_OUT_NOT_ADDED =
  "You were signed out, so no passkey was added. Reload the page and log in, then add it again.";
const NOT_SIGNED_IN = "No passkey signed you in: the request was cancelled or timed out.";

// /settings/passkeys: name the passkey, then let the browser make it.
function startAdding() {
  const form = document.querySelector("form[data-passkey-add]");
  if (!form) return;
  form.hidden = false;
  const note = document.querySelector("[data-passkey-unsupported]");
  if (note) note.hidden = true;
  const box = form.querySelector("[data-passkey-error]");
  const name = form.querySelector("input[name='name']");
  const password = form.querySelector("input[name='password']");
  const token = form.querySelector("input[name='csrf_token']").value;
  // A message about the whole form is said in the box at the form's top; one about a field at
  // that field, between its hint and its box, as the server's forms put it, and tied to it for
  // screen readers (the first in the box itself, moved there; any other in one of its own).
  // At the top, the password's message was a screen above the field the focus went to when
  // the text was large, said nowhere when the field was reached again, and a second mistake
  // was not said until the first was put right.
  const home = [box.parentElement, box.nextSibling];
  box.id ||= "passkey-error";
  let undo = [];
  function unmark() {
    for (const step of undo) step();
    undo = [];
    home[0].insertBefore(box, home[1]);
  }
  function mark(input, message, note) {
    say(note, message);
    input.before(note);
    const hint = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", [hint, note.id].filter(Boolean).join(" "));
    input.setAttribute("aria-invalid", "true");
    undo.push(() => {
      if (hint) input.setAttribute("aria-describedby", hint);
      else input.removeAttribute("aria-describedby");
      input.removeAttribute("aria-invalid");
    });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(box, "");
    unmark();
    try {
      const response = await postJSON(form.action, { name: name.value, password: password.value }, token);
      if (signedOut(response)) {
        say(box, SIGNED_OUT_NOT_ADDED);
        return;
      }
      const reply = await replyOf(response);
      if (!response.ok) {
        const errors = reply.errors || {};
        const wrong = [
          [name, errors.name],
          [password, errors.password],
        ].filter(([, messages]) => messages);
        if (!wrong.length) {
          // errors.form: the page's token was refused (a newer sign-in in another tab), which
          // trying again never mends: the answer says to reload.
          say(box, (errors.csrf_token || errors.form || ["That did not work. Please try again."])[0]);
          return;
        }
        wrong.forEach(([input, messages], n) => {
          let note = box;
          if (n > 0) {
            note = document.createElement("p");
            note.className = "error";
            note.id = `${input.id}-error`;
            undo.push(() => note.remove());
          }
          mark(input, messages[0], note);
        });
        const [first] = wrong[0];
        first.focus({ preventScroll: true });
        (first.closest(".field") || first).scrollIntoView({ block: "start" });
        return;
      }
      let credential;
      try {
        credential = await navigator.credentials.create({ publicKey: creationOptions(reply) });
      } catch {
        say(box, CANCELLED);
        return;
      }
      const finish = await postJSON(form.dataset.passkeyFinish, { credential: JSON.stringify(answer(credential)) }, token);
      const done = await replyOf(finish);
      if (finish.ok && done.next) {
        window.location.assign(done.next);
      } else if (signedOut(finish)) {
        say(box, SIGNED_OUT_NOT_ADDED);
      } else {
        const errors = done.errors || {};
        say(box, (errors.passkey || errors.form || [CANCELLED])[0]);
      }
    } catch {
      say(box, "The passkey could not be added: check the connection and try again.");
    }
  });
}

// The log-in page: a passkey of this site, chosen in the browser, signs in.
function startSignIn() {
  const area = document.querySelector("[data-passkey-signin]");
  if (!area) return;
  area.hidden = false;
  const box = area.querySelector("[data-passkey-error]");
  const tokenField = document.querySelector("input[name='csrf_token']");
  const token = tokenField ? tokenField.value : "";
  area.querySelector("button").addEventListener("click", async () => {
    say(box, "");
    try {
      const response = await postJSON(area.dataset.options, {}, token);
      if (!response.ok) {
        say(box, "Signing in with a passkey did not start. Please reload the page and try again.");
        return;
      }
      let credential;
      try {
        credential = await navigator.credentials.get({ publicKey: requestOptions(await response.json()) });
      } catch {
        say(box, NOT_SIGNED_IN);
        return;
      }
      // The page's "Keep me signed in" box holds for a passkey as for a password.
      const remember = document.querySelector("input[name='remember']")?.checked ? "yes" : "no";
      const sent = { credential: JSON.stringify(answer(credential)), remember };
      const finish = await postJSON(area.dataset.finish, sent, token);
      const done = await replyOf(finish);
      if (finish.ok && done.next) {
        window.location.assign(done.next);
      } else {
        say(box, done.error || NOT_SIGNED_IN);
      }
    } catch {
      say(box, "Signing in with a passkey did not work: check the connection and try again.");
    }
  });
}

export function startPasskeys() {
  if (!("PublicKeyCredential" in window) || !navigator.credentials) return;
  startAdding();
  startSignIn();
}
