// When the kept check-ins are sent (checkin-sync.js), and what each page says after: on
// opening a page, on coming back online and on coming back into view.
import { onCheckinPage, showKept } from "./checkin-form.js";
import { checkinQueue } from "./checkin-store.js";
import { listen, sync } from "./checkin-sync.js";
import { describeOffline, onOfflinePage } from "./offline-page.js";
import { signedIn } from "./signed-in.js";
import { askToLogIn, say, sentText, waitingText } from "./status.js";

export function startQueue() {
  listen(async ({ sent, signedOut, waiting }) => {
    // A page (or the script's own request) seen signed out: the offline page's form is no
    // longer offered for the person who was (a password changed elsewhere ends it at once).
    if (signedOut) signedIn.clear();
    await showKept();
    if (onOfflinePage()) await describeOffline(sent);
    else if (signedOut) askToLogIn(sent ? sentText(sent) : waitingText(waiting), waiting);
    else if (sent) say(sentText(sent));
  });

  if (!onOfflinePage() && !onCheckinPage()) {
    // Any other page: say so only when something was waiting and has now been sent.
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
