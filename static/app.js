// Afterglow's script, loaded by every page as an ES module (templates/base.html). Every page
// works without it; it only makes things quicker. Each feature is a module of its own in
// static/, and this one starts them, in this order. Module scripts run once the document is
// parsed; each feature starts on DOMContentLoaded, separately, so one that fails leaves the
// others working.
import { startCheckinForm } from "./checkin-form.js";
import { startQueue } from "./checkin-queue.js";
import { keepDrafts } from "./drafts.js";
import { startOfflinePage } from "./offline-page.js";
import { enhancePage, forgetThePost, keepSignInWhileWriting, keepUnsentChanges } from "./page.js";
import { keepTodayTrue } from "./new-day.js";
import { startPasskeys } from "./passkeys.js";
import { cleanUpOnLeaving } from "./sign-out.js";
import { keepFormsToTheirOwner, noteWhoIsSignedIn } from "./signed-in.js";

for (const start of [
  forgetThePost, // the answer to a POST: Back and reload open its address afresh, sending nothing
  enhancePage, // time zone, tags, character count, copy buttons, the focus a page starts on
  noteWhoIsSignedIn, // the device's note of the patient signed in, for the offline page
  keepFormsToTheirOwner, // a form of a page made for one person is never sent as another's
  cleanUpOnLeaving, // log-out and erased account: nothing of the person stays here
  startCheckinForm, // the check-in page: its form sent by script, the check-ins kept here
  startOfflinePage, // the offline page: what waits here, and today's check-in
  startQueue, // send what waits here, now and when back online, and say so
  keepSignInWhileWriting, // a long reflection keeps the sign-in from going idle
  keepDrafts, // a Save whose sign-in had ended finds its words back after logging in
  keepTodayTrue, // a check-up or session form left open past midnight: dated as it says
  startPasskeys, // passkeys: adding one in settings, signing in with one
  keepUnsentChanges, // a page of several forms: what was changed in one not sent is kept
]) {
  document.addEventListener("DOMContentLoaded", start);
}

// Installable and offline-safe: the service worker keeps the app shell, these modules and the
// offline page on the device (static/sw.js).
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  });
}
