// The offline queue: sends the check-ins kept on this device.
//
// Check-ins saved while offline wait in IndexedDB (checkin-store.js), each with the
// idempotency key of the form it came from, until they can be sent (journal/checkins.py
// answers a key it has seen before as it did the first time, so sending one twice never saves
// it twice). Each entry carries the tag of the person who wrote it and is only ever sent while
// that person is signed in; when nobody is (their sign-in ended meanwhile), every page asks
// them to log in to send it. Entries the server would not apply (a newer check-in for that day
// exists, or it refused the input) stay on the device, with their words, until the person
// dismisses them.
import { checkinQueue } from "./checkin-store.js";

const RETRY_MS = 30_000;
// Form fields that are the form's own, not the check-in's: never kept with it.
export const NOT_SENT = new Set(["csrf_token", "idempotency_key", "saved_at"]);

// What one sync found. `sent`: how many check-ins reached the server. `keptOut`: the entries
// it sent that the server did not apply (a newer check-in for that day, or refused), now kept
// here until dismissed. `signedOut`: check-ins still wait here and their writer is signed out
// (the server asked for a log-in), so they wait for that person to log in again; `waiting`
// then counts them. Offline, or when nothing was asked, `signedOut` is false.
const NOTHING_FOUND = Object.freeze({
  sent: 0,
  keptOut: Object.freeze([]),
  signedOut: false,
  waiting: 0,
});

let retryTimer = null;
let syncing = null;
let onChange = () => {};
let last = NOTHING_FOUND;

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// The signed-in person's tag and the form's CSRF token, from a check-in page.
export function sessionFrom(root) {
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
export async function send(fields, session, extra) {
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

export function retryLater() {
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

const isWaiting = (entry) => entry.state === "waiting";

// Send every waiting check-in of the signed-in person; says what it found (NOTHING_FOUND).
async function syncOnce() {
  if (!navigator.onLine) return NOTHING_FOUND;
  const waiting = (await checkinQueue.all()).filter(isWaiting);
  if (!waiting.length) return NOTHING_FOUND;
  let session;
  try {
    session = sessionFrom(document) || (await fetchSession());
  } catch {
    retryLater();
    return NOTHING_FOUND;
  }
  if (!session) {
    // Nobody is signed in: sent once the same person signs in again.
    return { ...NOTHING_FOUND, signedOut: true, waiting: waiting.length };
  }
  let sent = 0;
  const keptOut = [];
  const keepOut = async (entry) => {
    await checkinQueue.put(entry);
    keptOut.push(entry);
  };
  // Oldest written first, as they would have been saved online: two of one day are then
  // added together in order, the later one last.
  const mine = waiting.filter((e) => e.owner === session.owner);
  mine.sort((a, b) => String(a.saved_at).localeCompare(String(b.saved_at)));
  for (const entry of mine) {
    let response;
    let answer = {};
    try {
      response = await send(entry.fields, session, {
        idempotency_key: entry.key,
        saved_at: entry.saved_at,
        // The phone's clock now: the server reads `saved_at` on its own clock by the gap.
        sent_at: new Date().toISOString(),
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
      await keepOut({ ...entry, state: "kept-newer" });
    } else if (response.status === 413 || (response.status === 400 && !errors.csrf_token)) {
      const message = messagesOf(errors) || "It was too large to send.";
      await keepOut({ ...entry, state: "refused", message });
    } else if (session.gone) {
      // Its writer's sign-in ended (idle, logged out or password changed elsewhere) since
      // this page was loaded: it waits for them to log in again, and they are told.
      if (session.gone === "signed-out") {
        const left = (await checkinQueue.all()).filter(isWaiting).length;
        if (left) return { sent, keptOut, signedOut: true, waiting: left };
      }
      break;
    } else {
      retryLater(); // not taken for now (the server is unwell, say): later
      break;
    }
  }
  return { ...NOTHING_FOUND, sent, keptOut };
}

// One sync at a time in this tab; navigator.locks keeps other tabs out while it runs.
// Resolves to what it found, which the listener hears first.
export function sync() {
  if (!syncing) {
    const work = () => syncOnce();
    const run = navigator.locks ? navigator.locks.request("afterglow-checkin-queue", work) : work();
    syncing = run
      .catch(() => NOTHING_FOUND)
      .then(async (found) => {
        syncing = null;
        last = found;
        await onChange(found);
        return found;
      });
  }
  return syncing;
}

// What the last sync in this page found (NOTHING_FOUND before the first).
export const lastSync = () => last;

// `callback(found)` after every sync.
export function listen(callback) {
  onChange = callback;
}
