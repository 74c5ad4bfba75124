// Who is signed in on this device, for the offline page's form: every page a patient sees
// leaves their queue tag, whether their reflections start private, their time zone, and
// until when the sign-in lasts (on the log-out form, see signed_in.signed_in_here); logging
// out, or any page seen without a patient signed in, takes it away. The offline page is the
// same for everyone, so it reads this rather than showing anything of its own.

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
    if (note && note.owner && Date.now() < note.until) return note;
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
    });
  } else if (!document.querySelector("[data-offline-page]")) {
    signedIn.clear();
  }
}
