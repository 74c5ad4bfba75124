// Leaving (a log-out, the page that says the account is erased, or the first page after it was
// erased on another device: journal/people.py `forget_here`): nothing of the person stays on
// this device for whoever signs in next, neither the note of who is signed in, nor
// what they were writing (drafts.js), nor their check-ins kept here (at a log-out, those
// still waiting get one more try to be sent first; any the server has not taken are deleted
// only once the person says so, and never while offline, when the log-out could not reach
// the server anyway; an erased account's go without asking: nothing can take them now). The
// server's answer drops the browser's copies of their pages (auth.forget_pages). Another person's unsent check-ins
// stay until that person signs in again.
import { checkinQueue } from "./checkin-store.js";
import { sync } from "./checkin-sync.js";
import { drafts } from "./drafts.js";
import { signedIn } from "./signed-in.js";

async function forget(owner) {
  signedIn.clear();
  drafts.forget(owner);
  const mine = (await checkinQueue.all()).filter((e) => e.owner === owner);
  for (const entry of mine) await checkinQueue.remove(entry.key);
}

const OFFLINE =
  "You're offline, so logging out can't reach the journal yet. Try again when you're back " +
  "online: any check-in waiting on this phone is sent first.";

function unsentWarning(count) {
  const one = count === 1;
  const what = one ? "1 check-in written on this phone is" : `${count} check-ins written on this phone are`;
  return `${what} not in your journal yet. Logging out deletes ${one ? "it" : "them"} from this phone. Log out anyway?`;
}

export function cleanUpOnLeaving() {
  const logout = document.querySelector("form.logout");
  if (logout) {
    let leaving = false;
    logout.addEventListener("submit", async (event) => {
      // The log-out ends whoever is signed in here now: this page's patient, or someone who
      // signed in since in another tab (the note of who is signed in names them), whose words
      // stayed on the device when only this page's were forgotten.
      const owners = [...new Set([logout.dataset.queueOwner, signedIn.read()?.owner])].filter(
        Boolean,
      );
      if (!owners.length) {
        signedIn.clear();
        return; // a therapist: nothing is kept on the device
      }
      event.preventDefault();
      if (leaving) return;
      if (!navigator.onLine) {
        window.alert(OFFLINE);
        return;
      }
      leaving = true;
      const aWhile = new Promise((resolve) => setTimeout(resolve, 5000));
      try {
        await Promise.race([sync(), aWhile]);
        const unsent = (await checkinQueue.all()).filter((e) => owners.includes(e.owner)).length;
        if (unsent && !window.confirm(unsentWarning(unsent))) {
          leaving = false;
          return;
        }
        for (const owner of owners) await forget(owner);
      } catch {}
      HTMLFormElement.prototype.submit.call(logout);
    });
  }
  const erased = document.querySelector("[data-forget-owner]");
  if (erased && erased.dataset.forgetOwner) {
    // data-forgotten says it is done (an erased account's page, read by the browser tests).
    // Its unsent check-ins go without asking: no account is left to send them to.
    const done = () => {
      erased.dataset.forgotten = "1";
    };
    forget(erased.dataset.forgetOwner).then(done, done);
  }
}
