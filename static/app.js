// Afterglow's only script. Every page works without it; this only makes things quicker.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Registration: pick the browser's own time zone (the select stays there to correct it).
  const zone = document.querySelector("select[name='timezone'][data-detect]");
  if (zone) {
    const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (detected && [...zone.options].some((o) => o.value === detected)) zone.value = detected;
  }

  // Tags: tap a suggestion to add it to the comma-separated field.
  for (const box of document.querySelectorAll(".suggestions[data-for]")) {
    const input = document.getElementById(box.dataset.for);
    if (!input) continue;
    box.hidden = false;
    box.addEventListener("click", (event) => {
      const chip = event.target.closest("button[data-tag]");
      if (!chip) return;
      const tags = input.value.split(",").map((t) => t.trim()).filter(Boolean);
      if (!tags.some((t) => t.toLowerCase() === chip.dataset.tag.toLowerCase())) {
        tags.push(chip.dataset.tag);
      }
      input.value = tags.join(", ");
    });
  }

  // Reflection: a quiet character count, so nobody is surprised by the limit.
  for (const counter of document.querySelectorAll("[data-counter-for]")) {
    const area = document.getElementById(counter.dataset.counterFor);
    if (!area) continue;
    const max = Number(area.dataset.max);
    const update = () => {
      const used = area.value.replace(/\r\n/g, "\n").length;
      counter.hidden = used < max * 0.8;
      counter.textContent = `${used.toLocaleString()} of ${max.toLocaleString()} characters`;
    };
    area.addEventListener("input", update);
    update();
  }

  // Copy buttons: <button data-copy="id-of-input"> copies that input's value; without
  // script the input is there to select by hand.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.value);
        button.textContent = "Copied";
      } catch {
        source.select();
      }
    });
  }

  // Crisis resources: bring them into view and to the screen reader first.
  const crisis = document.getElementById("crisis-resources");
  if (crisis) crisis.focus();
});

// Installable and offline-safe ---------------------------------------------------------------

// The service worker keeps the app shell and the offline page on the device (static/sw.js).
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  });
}

// Check-ins saved while offline wait in IndexedDB, each with the idempotency key of the form
// it came from, until they can be sent (journal/checkins.py answers a key it has seen before
// as it did the first time, so sending one twice never saves it twice). Each entry carries the
// tag of the person who wrote it and is only ever sent while that person is signed in; when
// nobody is (their sign-in ended meanwhile), every page asks them to log in to send it.
// Entries the server would not apply (a newer check-in for that day exists, or it refused the
// input) stay on the device, with their words, until the person dismisses them.
const checkinQueue = (() => {
  const STORE = "checkins";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("afterglow", 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(mode, work) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        transaction.oncomplete = () => resolve(request.result);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  }

  return {
    all: () => run("readonly", (store) => store.getAll()),
    put: (entry) => run("readwrite", (store) => store.put(entry)),
    remove: (key) => run("readwrite", (store) => store.delete(key)),
  };
})();

const offlineCheckins = (() => {
  const RETRY_MS = 30_000;
  const NOT_SENT = new Set(["csrf_token", "idempotency_key", "saved_at"]);
  let retryTimer = null;
  let syncing = null;
  let onChange = () => {};
  // How many check-ins wait here for someone to log in (none were sent: nobody is signed in).
  let signedOut = 0;

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The signed-in person's tag and the form's CSRF token, from a check-in page.
  function sessionFrom(root) {
    const owner = root.querySelector("form.checkin [data-queue-owner]");
    if (!owner) return null;
    const token = root.querySelector("form.checkin input[name='csrf_token']");
    return { owner: owner.dataset.queueOwner, token: token ? token.value : "" };
  }

  // The same, fetched fresh; null when nobody is signed in. Throws when offline.
  async function fetchSession() {
    const response = await fetch("/checkin", {
      headers: { Accept: "text/html" },
      redirect: "manual",
      cache: "no-store",
    });
    if (!response.ok) return null;
    return sessionFrom(new DOMParser().parseFromString(await response.text(), "text/html"));
  }

  function post(fields, session, extra) {
    const body = new URLSearchParams(fields);
    if (session.token) body.set("csrf_token", session.token);
    for (const [name, value] of Object.entries(extra)) body.set(name, value);
    return fetch("/checkin", {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
      redirect: "manual",
      credentials: "same-origin",
    });
  }

  async function errorsOf(response) {
    if (response.status !== 400) return {};
    try {
      return (await response.clone().json()).errors || {};
    } catch {
      return {};
    }
  }

  // Send one check-in. A form that expired on the way (log-out and back in, say) gets a fresh
  // token from the check-in page and one more try. Throws on a network error. When its writer
  // is no longer signed in here, `session.gone` says so: "signed-out" (the server sent the
  // request to log in), or "other" (someone else is signed in now): trying again changes
  // nothing until they log in, so it is not retried (and the retries would keep the other
  // person's sign-in from ever going idle).
  async function send(fields, session, extra) {
    delete session.gone;
    let response = await post(fields, session, extra);
    if ((await errorsOf(response)).csrf_token) {
      const fresh = await fetchSession();
      if (fresh && fresh.owner === session.owner) {
        Object.assign(session, fresh);
        response = await post(fields, session, extra);
      } else {
        session.gone = fresh ? "other" : "signed-out";
      }
    }
    if (response.type === "opaqueredirect") session.gone = "signed-out";
    return response;
  }

  function retryLater() {
    if (!retryTimer) {
      retryTimer = setTimeout(() => {
        retryTimer = null;
        sync();
      }, RETRY_MS);
    }
  }

  function messagesOf(errors) {
    return Object.values(errors).flat().join(" ");
  }

  // Send every waiting check-in of the signed-in person; returns how many reached the server.
  async function syncOnce() {
    signedOut = 0;
    if (!navigator.onLine) return 0;
    const waiting = (await checkinQueue.all()).filter((e) => e.state === "waiting");
    if (!waiting.length) return 0;
    let session;
    try {
      session = sessionFrom(document) || (await fetchSession());
    } catch {
      retryLater();
      return 0;
    }
    if (!session) {
      signedOut = waiting.length; // sent once the same person signs in again
      return 0;
    }
    let sent = 0;
    for (const entry of waiting.filter((e) => e.owner === session.owner)) {
      let response;
      let answer = {};
      try {
        response = await send(entry.fields, session, {
          idempotency_key: entry.key,
          saved_at: entry.saved_at,
        });
        if (response.ok) answer = await response.json();
      } catch {
        retryLater(); // the connection dropped again
        break;
      }
      const errors = await errorsOf(response);
      if (["saved", "updated", "duplicate"].includes(answer.status)) {
        await checkinQueue.remove(entry.key);
        sent += 1;
      } else if (answer.status === "kept-newer") {
        await checkinQueue.put({ ...entry, state: "kept-newer" });
      } else if (response.status === 413 || (response.status === 400 && !errors.csrf_token)) {
        const message = messagesOf(errors) || "It was too large to send.";
        await checkinQueue.put({ ...entry, state: "refused", message });
      } else if (session.gone) {
        // Its writer's sign-in ended (idle, logged out or password changed elsewhere) since
        // this page was loaded: it waits for them to log in again, and they are told.
        if (session.gone === "signed-out") {
          const left = await checkinQueue.all();
          signedOut = left.filter((e) => e.state === "waiting").length;
        }
        break;
      } else {
        retryLater(); // not taken for now (the server is unwell, say): later
        break;
      }
    }
    return sent;
  }

  // One sync at a time in this tab; navigator.locks keeps other tabs out while it runs.
  function sync() {
    if (!syncing) {
      const work = () => syncOnce();
      const run = navigator.locks
        ? navigator.locks.request("afterglow-checkin-queue", work)
        : work();
      syncing = run
        .catch(() => 0)
        .then(async (sent) => {
          syncing = null;
          await onChange(sent, signedOut);
          return sent;
        });
    }
    return syncing;
  }

  return {
    newKey,
    sessionFrom,
    send,
    sync,
    retryLater,
    NOT_SENT,
    listen(callback) {
      onChange = callback;
    },
  };
})();

document.addEventListener("DOMContentLoaded", () => {
  const main = document.getElementById("main");
  const form = document.querySelector("form.checkin");
  // The check-in page (not an edit of a saved day): the person's queue tag and form token.
  const page =
    form && location.pathname === "/checkin" ? offlineCheckins.sessionFrom(document) : null;
  const offlinePage = document.querySelector("[data-offline-page]");
  let status = document.getElementById("queue-status");
  let list = null;

  function say(text, help = false) {
    if (!status) {
      status = document.createElement("p");
      status.id = "queue-status";
      status.className = "queue-status";
      status.setAttribute("role", "status");
      main.prepend(status);
    }
    status.textContent = text;
    if (help) {
      const link = document.createElement("a");
      link.href = "/help";
      link.textContent = "Get help now";
      status.append(" If you need someone now: ", link, ".");
      status.append(" Calls and texts work without the internet.");
    }
  }

  // After `text`: check-ins wait here for their writer, whose sign-in has ended, to log in.
  function askToLogIn(text, waiting) {
    say(text ? `${text} ` : "");
    const link = document.createElement("a");
    link.href = "/auth/login?next=%2Fcheckin";
    link.textContent = "Log in";
    const them = waiting === 1 ? "it" : "them";
    status.append(`You're signed out. `, link, ` to send ${them}.`);
  }

  function dayLabel(day) {
    const date = new Date(`${day}T12:00:00`);
    if (Number.isNaN(date.getTime())) return day;
    return date.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" });
  }

  // The person's check-ins kept on this device, on the check-in page.
  async function render() {
    if (!page || !list) return;
    const entries = (await checkinQueue.all()).filter((e) => e.owner === page.owner);
    entries.sort((a, b) => a.saved_at.localeCompare(b.saved_at));
    list.section.hidden = entries.length === 0;
    list.items.replaceChildren(
      ...entries.map((entry) => {
        const item = document.createElement("li");
        item.dataset.key = entry.key;
        const summary = document.createElement("p");
        const when = document.createElement("strong");
        when.textContent = `${dayLabel(entry.day)}, mood ${entry.mood}: `;
        const state = {
          waiting: "waiting to send.",
          "kept-newer":
            "not sent. A newer check-in for this day was already saved, so it was kept as it is.",
          refused: `not sent. ${entry.message || ""}`,
        }[entry.state];
        summary.append(when, state);
        item.append(summary);
        if (entry.state !== "waiting") {
          if (entry.reflection) {
            const words = document.createElement("p");
            words.className = "reflection";
            words.textContent = entry.reflection;
            item.append(words);
          }
          const actions = document.createElement("p");
          actions.className = "actions";
          const open = document.createElement("a");
          open.className = "button";
          open.href = `/entries/${entry.day}`;
          open.textContent = "Open that day";
          const dismiss = document.createElement("button");
          dismiss.type = "button";
          dismiss.textContent = "Dismiss";
          dismiss.addEventListener("click", async () => {
            await checkinQueue.remove(entry.key);
            await render();
            say("Dismissed.");
          });
          actions.append(open, dismiss);
          item.append(actions);
        }
        return item;
      }),
    );
  }

  const fieldValue = (fields, name) => (fields.find(([n]) => n === name) || [])[1];

  // Whether help should be at hand for these answers (a mood of 0-2 or the self-harm answer),
  // as the server would show it.
  const needsHelp = (fields) =>
    Number(fieldValue(fields, "mood")) <= 2 || fieldValue(fields, "self_harm") !== undefined;

  // A check-in saved offline without a mood: say so and go to the scale.
  function askForMood(form) {
    say("Choose your mood today, from 0 to 10, then save again.");
    form.querySelector("fieldset.scale input")?.focus();
  }

  // Keep a check-in on this device for `owner`, to be sent later. False, having said so, when
  // the device cannot (storage full or turned off): the words are still in the form.
  async function keepOnDevice(owner, key, fields) {
    try {
      await queue(owner, key, fields);
      return true;
    } catch {
      say(
        "This device could not keep your check-in. Your words are still in the form: " +
          "copy them somewhere safe, or try again when you're back online.",
        needsHelp(fields),
      );
      status.scrollIntoView({ block: "center" });
      return false;
    }
  }

  async function queue(owner, key, fields) {
    const value = (name) => fieldValue(fields, name);
    const mood = value("mood");
    await checkinQueue.put({
      key,
      owner,
      saved_at: new Date().toISOString(),
      fields,
      day: value("date") || "",
      mood,
      reflection: value("reflection") || "",
      state: "waiting",
    });
  }

  // Who is signed in on this device, for the offline page's form: every page a patient sees
  // leaves their queue tag, whether their reflections start private, and until when the
  // sign-in lasts (on the log-out form, see checkins.signed_in_here); logging out, or any
  // page seen without a patient signed in, takes it away. The offline page is the same for
  // everyone, so it reads this rather than showing anything of its own.
  const signedIn = {
    KEY: "afterglow-signed-in",
    get() {
      try {
        const note = JSON.parse(localStorage.getItem(this.KEY));
        if (note && note.owner && Date.now() < note.until) return note;
        localStorage.removeItem(this.KEY); // run out: nothing of it stays on the device
      } catch {}
      return null;
    },
    set(value) {
      try {
        localStorage.setItem(this.KEY, JSON.stringify(value));
      } catch {}
    },
    clear() {
      try {
        localStorage.removeItem(this.KEY);
      } catch {}
    },
  };
  const logout = document.querySelector("form.logout");
  if (logout && logout.dataset.queueOwner) {
    signedIn.set({
      owner: logout.dataset.queueOwner,
      private: logout.dataset.privateDefault === "1",
      until: Number(logout.dataset.signedInUntil) || 0,
    });
  } else if (!offlinePage) {
    signedIn.clear();
  }
  // Leaving (a log-out, or the page that says the account is erased): nothing of the person
  // stays on this device for whoever signs in next, neither the note of who is signed in nor
  // their check-ins kept here (those still waiting get one more try to be sent first). The
  // server's answer drops the browser's copies of their pages (auth.forget_pages). Another
  // person's unsent check-ins stay until that person signs in again.
  async function forget(owner) {
    signedIn.clear();
    const mine = (await checkinQueue.all()).filter((e) => e.owner === owner);
    for (const entry of mine) await checkinQueue.remove(entry.key);
  }
  if (logout) {
    let leaving = false;
    logout.addEventListener("submit", async (event) => {
      signedIn.clear();
      const owner = logout.dataset.queueOwner;
      if (!owner) return; // a therapist: nothing is kept on the device
      event.preventDefault();
      if (leaving) return;
      leaving = true;
      const aWhile = new Promise((resolve) => setTimeout(resolve, 5000));
      try {
        await Promise.race([offlineCheckins.sync(), aWhile]);
        await forget(owner);
      } catch {}
      HTMLFormElement.prototype.submit.call(logout);
    });
  }
  const erased = document.querySelector("[data-forget-owner]");
  if (erased && erased.dataset.forgetOwner) {
    // data-forgotten says it is done (an erased account's page, read by the browser tests).
    const done = () => { erased.dataset.forgotten = "1"; };
    forget(erased.dataset.forgetOwner).then(done, done);
  }

  const plural = (n, one, many) => (n === 1 ? one : many.replace("#", n));
  const sentText = (n) => `Sent ${plural(n, "1 check-in", "# check-ins")} saved on this device.`;
  let cameOnline = false;

  // The check-ins waiting here when the last try found nobody signed in (see askToLogIn).
  let signedOut = 0;
  const waitingText = (n) =>
    `${plural(n, "1 check-in is", "# check-ins are")} saved on this device, waiting to send.`;

  // The offline page: how many check-ins wait here (no details: it is the same for anyone).
  async function describeOffline(sent = 0) {
    const waiting = (await checkinQueue.all()).filter((e) => e.state === "waiting").length;
    const parts = cameOnline && navigator.onLine ? ["You're back online."] : [];
    if (sent) parts.push(sentText(sent));
    if (waiting) parts.push(waitingText(waiting));
    if (cameOnline) parts.push("Tap “Try again” to load the page.");
    if (waiting && signedOut && navigator.onLine) askToLogIn(parts.join(" "), waiting);
    else if (parts.length) say(parts.join(" "));
  }

  offlineCheckins.listen(async (sent, waitingForLogIn) => {
    signedOut = waitingForLogIn;
    // A page (or the script's own request) seen signed out: the offline page's form is no
    // longer offered for the person who was (a password changed elsewhere ends it at once).
    if (signedOut) signedIn.clear();
    await render();
    if (offlinePage) await describeOffline(sent);
    else if (signedOut) askToLogIn(sent ? sentText(sent) : waitingText(signedOut), signedOut);
    else if (sent) say(sentText(sent));
  });

  if (page) {
    // The check-in form: sent by script, so a dropped connection keeps it on the device.
    const section = document.createElement("section");
    section.className = "queue";
    section.setAttribute("aria-labelledby", "queue-title");
    section.hidden = true;
    const title = document.createElement("h2");
    title.id = "queue-title";
    title.textContent = "Check-ins on this device";
    const items = document.createElement("ul");
    section.append(title, items);
    list = { section, items };
    say("");
    form.before(status, section);

    const key = document.createElement("input");
    key.type = "hidden";
    key.name = "idempotency_key";
    key.value = offlineCheckins.newKey();
    form.append(key);
    const button = form.querySelector("button[type='submit']");
    let busy = false;

    const fieldsOf = () =>
      [...new FormData(form)]
        .filter(([name]) => !offlineCheckins.NOT_SENT.has(name))
        .map(([name, value]) => [name, String(value)]);

    async function keep(fields, note) {
      if (!(await keepOnDevice(page.owner, key.value, fields))) return;
      key.value = offlineCheckins.newKey(); // the next save is a new check-in
      form.reset();
      await render();
      say(`Saved on this device, waiting to send. ${note}`, needsHelp(fields));
      status.scrollIntoView({ block: "center" });
    }

    const opening = openingDays(form);

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      if (opening.pending) {
        // Saved while the chosen day was still loading: send that day's form, once it is.
        busy = true;
        await opening.pending;
        busy = false;
      }
      const fields = fieldsOf();
      if (fieldValue(fields, "mood") === undefined) {
        // The server explains at the field and keeps everything; offline, say it here.
        if (navigator.onLine) return HTMLFormElement.prototype.submit.call(form);
        return askForMood(form);
      }
      busy = true;
      if (button) button.disabled = true;
      try {
        if (!navigator.onLine) {
          return await keep(fields, "It will be sent when you're back online.");
        }
        let response;
        try {
          response = await offlineCheckins.send(fields, page, { idempotency_key: key.value });
        } catch {
          await keep(fields, "The connection dropped; it will be sent when it's back.");
          return offlineCheckins.retryLater();
        }
        const token = form.querySelector("input[name='csrf_token']");
        if (token && page.token) token.value = page.token; // refreshed if it had expired
        if (response.ok) {
          const answer = await response.json();
          busy = "leaving";
          location.assign(`/entries/${answer.day}`);
        } else if (page.gone) {
          // This page's sign-in ended (idle, or elsewhere), or someone else is signed in now:
          // kept for this page's writer, sent when they log in again, never under another.
          await keep(fields, "You're signed out: log in again and it will be sent.");
          signedIn.clear();
        } else if (response.status >= 500) {
          await keep(fields, "The server could not take it just now; it will try again shortly.");
          offlineCheckins.retryLater();
        } else {
          // Bad input or too large: the server's own page says what to change, input kept.
          busy = "leaving";
          HTMLFormElement.prototype.submit.call(form);
        }
      } finally {
        if (busy !== "leaving") {
          busy = false;
          if (button) button.disabled = false;
        }
      }
    });
  }

  // The check-in form is bound to its day (journal/checkins.py): changing the date opens that
  // day, with its saved answers or an empty form, never the answers of the day it was filled
  // with. What the person gave here (changed, and not left empty) stays on top; the server
  // does the same without script. Returns { pending }: the day still loading, if any.
  function openingDays(form) {
    const state = { pending: null };
    const date = form.elements.date;
    const loadedFor = form.elements.loaded_for;
    if (!date || !loadedFor) return state;
    const skipped = new Set(["csrf_token", "date", "idempotency_key"]);
    const controls = (root, name) => [...root.elements].filter((e) => e.name === name);
    const choice = (e) => e.type === "radio" || e.type === "checkbox";
    const changed = (e) => (choice(e) ? e.checked !== e.defaultChecked : e.value !== e.defaultValue);
    const filled = (e) => (choice(e) ? e.checked : e.value.trim() !== "");
    // Named controls whose answer the person gave: changed from what the form was shown with.
    const given = (name) => {
      const mine = controls(form, name);
      return mine.some(changed) && mine.some(filled);
    };

    // Put `fresh`'s answers (the chosen day's) into the form, keeping what the person gave.
    function takeOver(fresh) {
      const names = new Set([...fresh.elements].map((e) => e.name).filter(Boolean));
      let kept = false;
      for (const name of names) {
        if (skipped.has(name)) continue;
        const mine = controls(form, name);
        const theirs = controls(fresh, name);
        const keep = name !== "loaded_for" && given(name);
        kept ||= keep;
        const before = mine.map((e) => (choice(e) ? e.checked : e.value));
        mine.forEach((e, i) => {
          if (choice(e)) {
            const twin = theirs.find((t) => t.value === e.value);
            e.defaultChecked = Boolean(twin && twin.defaultChecked);
            e.checked = keep ? before[i] : e.defaultChecked;
          } else {
            e.defaultValue = theirs[0] ? theirs[0].defaultValue : "";
            e.value = keep ? before[i] : e.defaultValue;
          }
        });
      }
      return kept;
    }

    async function open(day) {
      let fresh;
      try {
        const response = await fetch(`/checkin?date=${encodeURIComponent(day)}`, {
          headers: { Accept: "text/html" },
          cache: "no-store",
          credentials: "same-origin",
        });
        // Not a day that can be checked in (still to come): saving explains it at the field.
        if (!response.ok) return;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        fresh = page.querySelector("form.checkin");
        if (!fresh || date.value !== day) return; // signed out meanwhile, or changed again
        for (const id of ["checkin-title", "day-note"]) {
          const here = document.getElementById(id);
          const there = page.getElementById(id);
          if (here && there) {
            here.textContent = there.textContent;
            here.hidden = there.hidden;
          }
        }
      } catch {
        // Offline. An empty form carries no day's answers, so it may be kept for that day;
        // one filled with another day's answers goes back to its own day.
        if (loadedFor.value) {
          date.value = date.defaultValue;
          say(
            `You're offline, so another day can't be opened now. This form is still for ${dayLabel(date.value)}.`,
          );
        }
        return;
      }
      const kept = takeOver(fresh);
      date.defaultValue = day;
      const button = form.querySelector("button[type='submit']");
      const theirButton = fresh.querySelector("button[type='submit']");
      if (button && theirButton) button.textContent = theirButton.textContent;
      const more = form.querySelector("details.more");
      if (more && fresh.querySelector("details.more[open]")) more.open = true;
      history.replaceState(null, "", `/checkin?date=${day}`);
      const shown = loadedFor.value ? "its saved answers" : "an empty check-in";
      say(`This is now the form for ${dayLabel(day)}: ${shown}${kept ? ", with what you changed" : ""}.`);
    }

    date.addEventListener("change", () => {
      const day = date.value;
      if (!/^\d{4}-\d\d-\d\d$/.test(day) || day === date.defaultValue) return;
      const work = open(day).catch(() => {});
      state.pending = work;
      work.then(() => {
        if (state.pending === work) state.pending = null;
      });
    });
    return state;
  }

  if (offlinePage) {
    const reload = offlinePage.querySelector("[data-reload]");
    if (reload) {
      reload.hidden = false;
      reload.addEventListener("click", () => location.reload());
    }
    describeOffline();
    window.addEventListener("online", () => {
      cameOnline = true;
      describeOffline();
    });

    // Today's check-in, for someone who opened the app with no connection.
    const offlineForm = offlinePage.querySelector("form[data-offline-checkin]");
    const me = signedIn.get();
    if (offlineForm && me) {
      const privateBox = offlineForm.querySelector("input[name='private']");
      const defaults = () => {
        if (privateBox) privateBox.checked = Boolean(me.private);
      };
      defaults();
      offlineForm.hidden = false;
      let saving = false;
      offlineForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (saving) return; // a second tap while the first is being kept
        const now = new Date();
        const pad = (n) => String(n).padStart(2, "0");
        offlineForm.elements.date.value =
          `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
        const fields = [...new FormData(offlineForm)].map(([name, v]) => [name, String(v)]);
        if (fieldValue(fields, "mood") === undefined) return askForMood(offlineForm);
        if (!signedIn.get()) {
          // The sign-in ran out while this page stood open: nothing is kept for anyone, and
          // the words stay in the form.
          say(
            "You were signed out on this device, so this check-in cannot be kept for your " +
              "journal. Copy your words somewhere safe, and log in when you're back online.",
            needsHelp(fields),
          );
          status.scrollIntoView({ block: "center" });
          return;
        }
        saving = true;
        const kept = await keepOnDevice(me.owner, offlineCheckins.newKey(), fields);
        saving = false;
        if (!kept) return;
        offlineForm.reset();
        defaults();
        say(
          "Saved on this device, waiting to send. It will be sent when you're back online.",
          needsHelp(fields),
        );
        status.scrollIntoView({ block: "center" });
        if (navigator.onLine) offlineCheckins.retryLater(); // the server is down, not the network
      });
    }
  } else if (!page) {
    // Any other page: say so only when something was waiting and has now been sent.
    checkinQueue
      .all()
      .then((entries) => {
        if (entries.some((e) => e.state === "waiting")) say("");
      })
      .catch(() => {});
  }

  render().catch(() => {});
  offlineCheckins.sync();
  window.addEventListener("online", () => offlineCheckins.sync());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") offlineCheckins.sync();
  });
});

// Writing is activity: while someone types a long reflection, tell the server now and then
// (at most every five minutes) so the idle sign-out does not end the sign-in under them.
document.addEventListener("DOMContentLoaded", () => {
  let last = Date.now();
  document.addEventListener("input", (event) => {
    if (!event.target.closest("form[method='post'] textarea, form[method='post'] input")) return;
    if (Date.now() - last < 5 * 60 * 1000) return;
    last = Date.now();
    fetch(window.location.pathname, { method: "HEAD", credentials: "same-origin" }).catch(() => {});
  });
});
