// When the kept check-ins are sent (checkin-sync.js), and what each page says after: on
// opening a page, on coming back online and on coming back into view.
import { onCheckinPage, showKept } from "./checkin-form.js";
import { checkinQueue } from "./checkin-store.js";
import { listen, sync } from "./checkin-sync.js";
import { describeOffline, onOfflinePage } from "./offline-page.js";
import { pageOwner, signedIn } from "./signed-in.js";
import { askToLogIn, notSentText, say, sentText, statusLine, waitingText } from "./status.js";

const SENT_ELSEWHERE = "The check-ins saved on this device have been sent.";

// A sync's news in words: `first` (how many were sent, or how many still wait), then the
// check-ins it kept out, if any.
const told = (first, keptOut) =>
  [first, keptOut.length ? notSentText(keptOut) : ""].filter(Boolean).join(" ");

// Whether this page's status line still says a check-in waits to be sent.
const saysWaiting = () =>
  (document.getElementById("queue-status")?.textContent || "").includes("waiting to send");

// Another tab (or page) sent what this page's line said waits: what became of it, said
// here too, not left waiting. Those it had kept out (a newer one for that day, or refused)
// are said not sent, never "sent"; only the signed-in person's, as the check-in page lists.
async function tellSentElsewhere() {
  const entries = await checkinQueue.all();
  if (entries.some((e) => e.state === "waiting")) return;
  const owner = pageOwner();
  const keptOut = entries.filter((e) => e.state !== "waiting" && (!owner || e.owner === owner));
  if (keptOut.length) tellSent(0, keptOut);
  else say(SENT_ELSEWHERE);
}

// What a sync did with the check-ins it sent: those that reached the server, and those kept
// out (a newer one for that day, or refused), which wait on the check-in page to be read and
// dismissed: told on whatever page the person is on, in place of "waiting to send".
function tellSent(sent, keptOut) {
  say(told(sent ? sentText(sent) : "", keptOut));
  if (!keptOut.length) return;
  const one = keptOut.length === 1;
  if (onCheckinPage()) {
    statusLine().append(
      one ? " It is listed below, with its words." : " They are listed below, with their words.",
    );
  } else {
    const link = document.createElement("a");
    link.href = "/checkin";
    link.textContent = "Open the check-in page";
    statusLine().append(" ", link, ` to see ${one ? "it" : "them"}.`);
  }
}

export function startQueue() {
  listen(async ({ sent, keptOut, signedOut, waiting }) => {
    // A page (or the script's own request) seen signed out: the offline page's form is no
    // longer offered for the person who was (a password changed elsewhere ends it at once).
    if (signedOut) signedIn.clear();
    await showKept();
    if (onOfflinePage()) await describeOffline(sent);
    else if (signedOut) {
      askToLogIn(told(sent ? sentText(sent) : waitingText(waiting), keptOut), waiting);
    } else if (sent || keptOut.length) tellSent(sent, keptOut);
    else if (saysWaiting()) await tellSentElsewhere();
  });

  if (!onOfflinePage() && !onCheckinPage()) {
    // Any other page: a status line only when something waits, to say what became of it.
    checkinQueue
      .all()
      .then((entries) => {
        if (entries.some((e) => e.state === "waiting")) say("");
      })
      .catch(() => {});
  }

  showKept().catch(() => {});
  sync();
  window.addEventListener("online", () => sync());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") sync();
  });
}
