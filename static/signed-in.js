// Who is signed in on this device, for the offline page's form: every page a patient sees
// leaves their queue tag, whether their reflections start private, their time zone, and
// until when the sign-in lasts (on the log-out form, see signed_in.signed_in_here); logging
// out, or any page seen without a patient signed in, takes it away. The offline page is the
// same for everyone, so it reads this rather than showing anything of its own.
import { pageNote } from "./status.js";

export const signedIn = {
  KEY: "afterglow-signed-in",
  // The note as the last page left it, run out or not (drafts.js: an idle sign-out keeps its
  // person's words for them; only a log-out takes the note away).
  read() {
    try {
      return JSON.parse(localStorage.getItem(this.KEY));
    } catch {
      return null;
    }
  },
  get() {
    const note = this.read();
    if (note && note.owner && serverNow(note) < note.until) return note;
    this.clear(); // run out: nothing of it stays on the device
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

// The time now on the server's clock (milliseconds since 1970), as far as the `note` tells:
// the phone's own clock may be off (a day ahead, say), by `skew` when the note was left.
export const serverNow = (note) => Date.now() + (Number(note?.skew) || 0);

// Now in the account's time zone (as /checkin counts today), not the phone's: a phone set to
// another zone would otherwise save a check-in on the wrong day, or one still to come. On the
// server's clock too (the note's `skew`): a phone's clock a day off saved it a day off. As a
// datetime-local field's value, "2026-12-07T08:00" (a session's default time).
export function accountNow(me) {
  const zone = me.zone;
  const parts = (options) => {
    const found = new Intl.DateTimeFormat("en-CA", {
      ...options,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(serverNow(me)));
    return Object.fromEntries(found.map((part) => [part.type, part.value]));
  };
  let at;
  try {
    at = parts({ timeZone: zone || undefined });
  } catch {
    at = parts({}); // an unknown zone: the phone's
  }
  return `${at.year}-${at.month}-${at.day}T${at.hour}:${at.minute}`;
}

// Today in the account's time zone, on the server's clock (accountNow): "2026-12-07".
export const accountToday = (me) => accountNow(me).slice(0, 10);

// The queue tag of the patient this page was made for (on its log-out form), or undefined.
export const pageOwner = () => document.querySelector("form.logout")?.dataset.queueOwner;

// On every page: leave the note (a patient's page) or take it away (any other, but the
// offline page, which is the same for everyone and says nothing of who is signed in).
export function noteWhoIsSignedIn() {
  const logout = document.querySelector("form.logout");
  if (logout && logout.dataset.queueOwner) {
    signedIn.set({
      owner: logout.dataset.queueOwner,
      private: logout.dataset.privateDefault === "1",
      zone: logout.dataset.timeZone || "",
      until: Number(logout.dataset.signedInUntil) || 0,
      skew: logout.dataset.serverNow ? Number(logout.dataset.serverNow) - Date.now() : 0,
    });
  } else if (!document.querySelector("[data-offline-page]")) {
    signedIn.clear();
  }
}

// Said on a form kept back because someone else is signed in on this device now.
const SOMEONE_ELSE =
  "Someone else has signed in on this device since this page was opened, so this was not " +
  "sent: it would have gone to their account. Nothing was saved. To send it, log in again " +
  "as yourself.";

// A page made for one patient, its form sent after someone else signed in on this device (in
// another tab): the journal took it as theirs. Refused for its token, it came back on their
// page with this page's answers and "send it again", which filed one person's session,
// check-up or check-in in the other's journal, or linked the other to this one's therapist.
// Such a form is not sent. Listened for on the document, so after the form's own listeners:
// the check-in page sends its form itself, and keeps a check-in for its writer.
export function keepFormsToTheirOwner() {
  const owner = pageOwner();
  if (!owner) return;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || form.method !== "post" || form.classList.contains("logout")) {
      return;
    }
    const now = signedIn.read()?.owner;
    if (!now || now === owner) return;
    event.preventDefault();
    const note = pageNote("not-sent-note", "alert");
    form.before(note);
    note.textContent = SOMEONE_ELSE;
    note.scrollIntoView({ block: "center" });
  });
}
