// The offline page (shown by the service worker for any page that cannot load): how many
// check-ins wait on this device, a "Try again" button, and, for the patient signed in on this
// device (signed-in.js), their check-ins waiting here and today's check-in. It is the same for
// anyone, so it names nobody, and shows nothing of anyone's but to them.
import {
  askForMood,
  fieldValue,
  keepOnDevice,
  keptAnswerLines,
  keptSummary,
  keptWords,
  needsHelp,
} from "./checkin-answers.js";
import { checkinQueue } from "./checkin-store.js";
import { lastSync, newKey, retryLater } from "./checkin-sync.js";
import { accountToday, signedIn } from "./signed-in.js";
import { askToLogIn, say, sentText, statusLine, waitingText } from "./status.js";

// The connection came back while this page was open.
let cameOnline = false;

export const onOfflinePage = () => document.querySelector("[data-offline-page]") !== null;

// Check-ins the server did not take as written: kept on the device with its reason, which the
// check-in page shows (this page names nothing of anyone's).
const NOT_SAVED = (count) =>
  `${count === 1 ? "1 check-in" : `${count} check-ins`} kept on this device could not be saved ` +
  "as written: open “Check in” once you're signed in to see why and keep the words.";

// The check-ins of the patient signed in on this device (the same note that offers them the
// form) that wait here, each with every answer it keeps and its words: all they can see of
// them with no connection. Nobody else's, and nothing for a visitor.
async function listKept(entries) {
  const section = document.querySelector("[data-offline-kept]");
  const me = signedIn.get();
  if (!section) return;
  const mine = me ? entries.filter((e) => e.owner === me.owner) : [];
  mine.sort((a, b) => a.saved_at.localeCompare(b.saved_at));
  section.hidden = mine.length === 0;
  section.querySelector("ul").replaceChildren(
    ...mine.map((entry) => {
      const item = document.createElement("li");
      const state =
        entry.state === "waiting"
          ? "waiting to send."
          : "not sent. The check-in page says why, once you're back online.";
      item.append(keptSummary(entry, state), ...keptAnswerLines(entry), ...keptWords(entry));
      return item;
    }),
  );
}

// How many check-ins wait here (the same for anyone), whether their writer must log in to
// send them (the last sync found them signed out), and the list of the signed-in patient's.
export async function describeOffline(sent = 0) {
  const entries = await checkinQueue.all();
  await listKept(entries);
  const waiting = entries.filter((e) => e.state === "waiting").length;
  const notSaved = entries.length - waiting; // refused, or a newer check-in was kept
  const parts = cameOnline && navigator.onLine ? ["You're back online."] : [];
  if (sent) parts.push(sentText(sent));
  if (waiting) parts.push(waitingText(waiting));
  if (notSaved) parts.push(NOT_SAVED(notSaved));
  if (cameOnline) parts.push("Tap “Try again” to load the page.");
  if (waiting && lastSync().signedOut && navigator.onLine) askToLogIn(parts.join(" "), waiting);
  else if (parts.length) say(parts.join(" "));
}

// Whether `form` holds anything the person gave: a mood chosen, words typed.
const written = (form) =>
  [...form.elements].some((e) =>
    e.type === "radio" ? e.checked : e.type !== "hidden" && e.type !== "checkbox" && e.value?.trim(),
  );

// The line about check-ins kept on this device, only for someone who writes them: a patient
// signed in here, or check-ins waiting here. The page is the same for everyone (rendered as
// for a visitor and kept by the service worker), so the server cannot tell; a therapist's
// or an admin's pages leave no note (signed-in.js), and they keep the plain line.
async function showWritersLead(offlinePage) {
  const writes = signedIn.get() !== null || (await checkinQueue.all()).length > 0;
  for (const lead of offlinePage.querySelectorAll("[data-offline-lead]")) {
    lead.hidden = (lead.dataset.offlineLead === "writer") !== writes;
  }
}

export function startOfflinePage() {
  const offlinePage = document.querySelector("[data-offline-page]");
  if (!offlinePage) return;
  showWritersLead(offlinePage);
  const reload = offlinePage.querySelector("[data-reload]");
  if (reload) {
    reload.hidden = false;
    reload.addEventListener("click", () => {
      // Loading the page would drop a check-in written here and not saved yet.
      const form = offlinePage.querySelector("form[data-offline-checkin]");
      if (form && !form.hidden && written(form)) {
        say(
          "Save your check-in first: it is kept on this device and sent from there. Then " +
            "tap “Try again”.",
        );
        statusLine().scrollIntoView({ block: "center" });
        return;
      }
      location.reload();
    });
  }
  describeOffline();
  window.addEventListener("online", () => {
    cameOnline = true;
    describeOffline();
  });

  // Today's check-in, for someone who opened the app with no connection.
  const offlineForm = offlinePage.querySelector("form[data-offline-checkin]");
  const me = signedIn.get();
  if (!offlineForm || !me) return;
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
    offlineForm.elements.date.value = accountToday(me);
    const fields = [...new FormData(offlineForm)].map(([name, v]) => [name, String(v)]);
    if (fieldValue(fields, "mood") === undefined) return askForMood(offlineForm);
    const now = signedIn.get();
    if (!now || now.owner !== me.owner) {
      // The sign-in ran out while this page stood open, or someone else has signed in on
      // this device since (in another tab): nothing is kept for anyone (it would be sent into
      // the journal of whoever opened the page), and the words stay in the form.
      say(
        now
          ? "Someone else has signed in on this device since this page opened, so this " +
              "check-in cannot be kept. Copy your words somewhere safe, then open the app again."
          : "You were signed out on this device, so this check-in cannot be kept for your " +
              "journal. Copy your words somewhere safe, and log in when you're back online.",
        needsHelp(fields, offlineForm),
      );
      statusLine().scrollIntoView({ block: "center" });
      return;
    }
    saving = true;
    const kept = await keepOnDevice(me.owner, newKey(), fields, offlineForm);
    saving = false;
    if (!kept) return;
    offlineForm.reset();
    defaults();
    await listKept(await checkinQueue.all());
    say(
      "Saved on this device, waiting to send. It will be sent when you're back online.",
      needsHelp(fields, offlineForm),
    );
    statusLine().scrollIntoView({ block: "center" });
    if (navigator.onLine) retryLater(); // the server is down, not the network
  });
}
