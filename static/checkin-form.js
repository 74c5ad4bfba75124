// The check-in page (/checkin, not an edit of a saved day): its form is sent by script, so a
// dropped connection keeps the check-in on the device, and the page lists the person's
// check-ins kept here.
import {
  askForMood,
  fieldValue,
  keepOnDevice,
  keptAnswerLines,
  keptSummary,
  keptWords,
  needsHelp,
} from "./checkin-answers.js";
import { openingDays } from "./checkin-days.js";
import { checkinQueue } from "./checkin-store.js";
import { NOT_SENT, newKey, retryLater, send, sessionFrom } from "./checkin-sync.js";
import { drafts } from "./drafts.js";
import { signedIn } from "./signed-in.js";
import { focusStatus, say, statusLine } from "./status.js";

// The check-in page's sign-in: the person's queue tag and the form's token (null elsewhere).
let session = null;
// The list of kept check-ins, once the page has it: { section, items }.
let list = null;

export const onCheckinPage = () => session !== null;

// The list's item for the check-in of `key`, if it is listed.
const itemOf = (key) => [...list.items.children].find((item) => item.dataset.key === key);

// The keys of the dismissable check-ins after the one of `key`, then those before it, nearest
// first: where the focus goes once it is dismissed.
function neighbours(key) {
  const keys = [...list.items.children]
    .filter((item) => item.querySelector("button"))
    .map((item) => item.dataset.key);
  const at = keys.indexOf(key);
  return [...keys.slice(at + 1), ...keys.slice(0, at).reverse()];
}

// The person's check-ins kept on this device, on the check-in page. The list is built anew
// each time; a control in it that had the focus has it again in the new list.
export async function showKept() {
  if (!session || !list) return;
  const entries = (await checkinQueue.all()).filter((e) => e.owner === session.owner);
  entries.sort((a, b) => a.saved_at.localeCompare(b.saved_at));
  const had = list.items.contains(document.activeElement) ? document.activeElement : null;
  const focused = had && { key: had.closest("li")?.dataset.key, tag: had.tagName };
  list.section.hidden = entries.length === 0;
  list.items.replaceChildren(
    ...entries.map((entry) => {
      const item = document.createElement("li");
      item.dataset.key = entry.key;
      const state = {
        waiting: "waiting to send.",
        "kept-newer":
          "not sent. A newer check-in for this day was already saved, so it was kept as it is.",
        refused: `not sent. ${entry.message || ""}`,
      }[entry.state];
      const summary = keptSummary(entry, state);
      summary.id = `kept-${entry.key}`;
      item.append(summary);
      // Every other answer it keeps (its tags too, kept nowhere else once it is dismissed).
      item.append(...keptAnswerLines(entry));
      if (entry.state !== "waiting") {
        item.append(...keptWords(entry));
        const actions = document.createElement("p");
        actions.className = "actions";
        const open = document.createElement("a");
        open.className = "button";
        open.href = `/entries/${entry.day}`;
        open.textContent = "Open that day";
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.textContent = "Dismiss";
        // Reached by the focus after another is dismissed: it says which check-in it drops.
        dismiss.setAttribute("aria-describedby", summary.id);
        dismiss.addEventListener("click", async () => {
          // The button goes with its check-in: the focus goes to the next one's Dismiss, or
          // the one before, or (none left) the status line, not back to the page's top.
          const near = neighbours(entry.key);
          await checkinQueue.remove(entry.key);
          await showKept();
          say("Dismissed.");
          const next = near.map(itemOf).find((item) => item?.querySelector("button"));
          if (next) next.querySelector("button").focus();
          else focusStatus();
        });
        actions.append(open, dismiss);
        item.append(actions);
      }
      return item;
    }),
  );
  if (focused?.key) itemOf(focused.key)?.querySelector(focused.tag)?.focus();
}

export function startCheckinForm() {
  const form = document.querySelector("form.checkin");
  session = form && location.pathname === "/checkin" ? sessionFrom(document) : null;
  if (!session) return;

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
  form.before(statusLine(), section);

  const key = document.createElement("input");
  key.type = "hidden";
  key.name = "idempotency_key";
  key.value = newKey();
  form.append(key);
  const button = form.querySelector("button[type='submit']");
  // A save is under way (further taps wait for it)...
  let busy = false;
  // ...and it ends by leaving the page, so the form stays as it is until then.
  let leaving = false;

  const fieldsOf = () =>
    [...new FormData(form)]
      .filter(([name]) => !NOT_SENT.has(name))
      .map(([name, value]) => [name, String(value)]);

  // Kept on the device, or not (it says why): either way the status line says so and takes
  // the focus, which the Save button, disabled while saving, has lost.
  async function keep(fields, note) {
    if (await keepOnDevice(session.owner, key.value, fields, form)) {
      key.value = newKey(); // the next save is a new check-in
      form.reset();
      await showKept();
      say(`Saved on this device, waiting to send. ${note}`, needsHelp(fields, form));
    }
    focusStatus();
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
        response = await send(fields, session, { idempotency_key: key.value });
      } catch {
        await keep(fields, "The connection dropped; it will be sent when it's back.");
        return retryLater();
      }
      const token = form.querySelector("input[name='csrf_token']");
      if (token && session.token) token.value = session.token; // refreshed if it had expired
      if (response.ok) {
        const answer = await response.json();
        // Saved (or saved before, by this key): its draft goes now. The day's page that
        // follows may be left (Back) before its script runs, and no cookie names this Save.
        drafts.saved(form);
        leaving = true;
        location.assign(`/entries/${answer.day}`);
      } else if (session.gone) {
        // This page's sign-in ended (idle, or elsewhere), or someone else is signed in now:
        // kept for this page's writer, sent when they log in again, never under another.
        await keep(fields, "You're signed out: log in again and it will be sent.");
        signedIn.clear();
      } else if (response.status >= 500) {
        await keep(fields, "The server could not take it just now; it will try again shortly.");
        retryLater();
      } else {
        // Bad input or too large: the server's own page says what to change, input kept.
        leaving = true;
        HTMLFormElement.prototype.submit.call(form);
      }
    } finally {
      if (!leaving) {
        busy = false;
        if (button) button.disabled = false;
        // Disabled, the button dropped the focus; nothing above took it: back to the button.
        if (button && document.activeElement === document.body) button.focus();
      }
    }
  });
}
