// What a person wrote in a form, kept on this device until the journal has it: a sign-in that
// ended before Save (the idle time-out while they were away: an intention written before a
// dosing session and saved after it) sends Save to the log-in page, and the journal never
// sees the words. Forms marked data-draft (a session, a check-in, a check-up) keep their
// fields here as the person types; a Save that led to the log-in page finds them put back,
// with a note, when the person opens that form again (the log-in leads back to it). A
// check-in its page kept in its own queue (checkin-form.js, offline) empties the form, and
// its draft goes: the queue has it. A check-in's words are kept per day (its date), each day's
// until it is saved, cleared or runs out.
//
// A draft is the signed-in patient's (their queue tag, as the check-in queue's): it is put
// back only for them, deleted when they log out (sign-out.js), and dropped after a day. One
// whose Save reached the journal is deleted on the next page (the journal's answer named the
// Save's token: journal/drafts.py), whichever opens first; one whose Save reached the
// log-in page instead, or never reached the journal at all (offline: the browser's own error
// page), is held until its writer opens that form again. One never sent (the tab closed, the
// phone's browser dropped it while another app was open, a reload, a tap on another page) is
// put back, with a note, when its writer opens that form again; its Cancel, or the note's
// Clear, drops it.
// Hidden fields come back too (the form's fingerprint of what it was shown with, so the
// journal still sees a record changed elsewhere meanwhile), but never the CSRF token.
import { labelOf, showReplaced } from "./replaced-words.js";
import { pageOwner, signedIn } from "./signed-in.js";
import { dayLabel } from "./status.js";

const KEY = "afterglow-drafts";
// How long a draft is kept, in milliseconds: the journal's own rule (journal/drafts.py
// LASTS_SECONDS, which its draft_saved cookie lasts too), rendered on <body>. A page without
// it (none should be) drops nothing.
function lasts() {
  const seconds = Number(document.body?.dataset.draftSeconds);
  return seconds > 0 ? seconds * 1000 : Infinity;
}
// Why a held draft is put back: `held` says which.
const RESTORED = {
  "signed-out":
    "You were signed out before this was saved, so it was not saved yet. What you wrote is " +
    "back in the form: check it, then save.",
  unsent:
    "Your last Save of this form did not reach the journal (the connection may have " +
    "dropped), so it was not saved yet. What you wrote is back in the form: check it, then save.",
  left:
    "What you wrote here before you left this page is back in the form. It is not saved " +
    "yet: check it, then save.",
};
// Said too when what the form shows was saved elsewhere after the words were written.
const SAVED_SINCE =
  "This was saved elsewhere (another tab or device) after you wrote it: the form shows it " +
  "as saved now, with what you wrote on top.";

function readAll() {
  try {
    const all = JSON.parse(localStorage.getItem(KEY)) || {};
    const now = Date.now();
    const most = lasts();
    for (const [id, draft] of Object.entries(all)) if (!(now - draft.at < most)) delete all[id];
    return all;
  } catch {
    return {};
  }
}

function writeAll(all) {
  try {
    if (Object.keys(all).length) localStorage.setItem(KEY, JSON.stringify(all));
    else localStorage.removeItem(KEY);
  } catch {}
}

// Whether `owner` may still be signed in on this device: the note of who is signed in here
// names them, run out or not (an idle sign-out keeps their words for them); a log-out, in any
// tab, takes it away, and nothing of theirs may be written here after it.
const stillHere = (owner) => signedIn.read()?.owner === owner;

// The draft whose Save sent `token` goes from `all`: the journal has it.
function forgetSaved(all, token) {
  for (const [id, draft] of Object.entries(all)) if (draft.token === token) delete all[id];
}

export const drafts = {
  // Every draft of `owner` goes (logging out).
  forget(owner) {
    const all = readAll();
    for (const [id, draft] of Object.entries(all)) if (draft.owner === owner) delete all[id];
    writeAll(all);
  },
  // The Save of `form` was stored, as the journal told the page's own script (the check-in,
  // sent by script: its answer is JSON, not a redirect, so it sets no draft_saved cookie):
  // the draft that Save sent goes now, not on a next page that Back may leave before its
  // script runs.
  saved(form) {
    const token = form.elements.draft?.value;
    if (!token) return;
    const all = readAll();
    forgetSaved(all, token);
    writeAll(all);
  },
};

// A new-session or check-up form's key for its next save (journal/sessions.py): the same key
// sent again saves nothing twice.
const FORM_KEY = "request_key";
const keyOf = (fields) => fields.find(([name]) => name === FORM_KEY)?.[1];

// Never kept: the form's token, a check-in's key for its next save (a new one each page), the
// token of the draft's own last Save, and the symptoms the check-in's page has a field for
// (`rated`: the page's, not an answer). Put back, an older page's list replaced the new one's:
// a symptom added from the check-in's own "Track a symptom of your own" link, then rated on
// the form opened again with the words put back, was dropped without a word.
const NOT_KEPT = new Set(["csrf_token", "idempotency_key", "draft", "rated"]);
const kept = (e) => e.name && !NOT_KEPT.has(e.name) && e.type !== "submit" && e.type !== "file";

function fieldsOf(form) {
  return [...form.elements].filter(kept).map((e) => {
    const choice = e.type === "radio" || e.type === "checkbox";
    return [e.name, choice ? (e.checked ? e.value : null) : e.value, choice];
  });
}

// A part of the form folded away (<details>) opens when a word or a choice came back into it.
function unfold(control) {
  const part = control.closest("details");
  if (part) part.open = true;
}

function putBack(form, fields) {
  // Radio buttons and boxes: each of a name is ticked exactly when the draft ticked it (a box
  // unticked in an edit stays unticked, whatever its others).
  const chosen = new Map();
  for (const [name, value, choice] of fields) {
    if (!choice) continue;
    if (!chosen.has(name)) chosen.set(name, new Set());
    if (value !== null) chosen.get(name).add(value);
  }
  for (const [name, values] of chosen) {
    for (const e of form.elements) {
      if (e.name !== name || !kept(e)) continue;
      e.checked = values.has(e.value);
      if (e.checked) unfold(e);
    }
  }
  for (const [name, value, choice] of fields) {
    if (choice) continue;
    const control = [...form.elements].find((e) => e.name === name && kept(e));
    if (!control) continue;
    control.value = value;
    if (value && control.type !== "hidden" && value !== control.defaultValue) unfold(control);
  }
}

// The hidden fields that say which saved answers a form was shown with (journal/checkins.py).
const SHOWN_WITH = ["loaded_for", "loaded_version"];

// Whether the day `form` shows was saved elsewhere after the draft's words were written on it
// while it was empty. A draft of a form shown saved answers carries their fingerprint, and the
// journal refuses its Save if they changed meanwhile, saying so; one of an empty form carries
// none, and the journal adds it to the day saved since as any blank form's Save is (its mood
// and other choices winning), so the person must be told here. A check-in written for another
// day is that day's to open (checkin-days.js), not this one's.
function savedSince(form, fields) {
  const value = (name) => fields.find(([n]) => n === name)?.[1];
  const date = form.elements.date;
  if (date && value("date") !== undefined && value("date") !== date.defaultValue) return false;
  const shown = [...form.elements].find((e) => e.name === "loaded_version");
  return Boolean(shown && shown.value && value("loaded_version") === "");
}

// A draft's answers to put on top of answers saved since: those the person gave (words typed,
// a choice made), never the fingerprint it was shown with, nor an empty field or an untouched
// choice that would wipe what was saved meanwhile.
function onTop(fields) {
  const chosen = new Set(fields.filter(([, v, choice]) => choice && v !== null).map(([n]) => n));
  return fields.filter(([name, value, choice]) => {
    if (SHOWN_WITH.includes(name)) return false;
    return choice ? chosen.has(name) : value.trim() !== "";
  });
}

// The saved words of `form` (text boxes), to show beside the typed ones that replace them.
function wordsOf(form) {
  return [...form.elements]
    .filter((e) => kept(e) && (e.tagName === "TEXTAREA" || e.type === "text") && e.value.trim())
    .map((e) => ({ control: e, text: e.value }));
}

// Of `saved` (wordsOf), those the put-back words replaced, as showReplaced lists them.
const replacedOf = (saved) =>
  saved
    .filter(({ control, text }) => control.value !== text)
    .map(({ control, text }) => ({ label: labelOf(control), text }));

// Whether a draft holds anything the form does not show: hidden fields (a fresh request key)
// never count.
function differs(kept, shown, form) {
  const hidden = new Set([...form.elements].filter((e) => e.type === "hidden").map((e) => e.name));
  const text = (fields) => JSON.stringify(fields.filter(([name]) => !hidden.has(name)));
  return text(kept) !== text(shown);
}

// The log-in page: where a Save leads when its sign-in had ended. Every draft sent from a form
// is held here, for its writer to find in that form again (the log-in leads back to it).
const onLogInPage = () => window.location.pathname === "/auth/login";

// The journal's answer to a Save it stored names that Save's token in this cookie
// (journal/drafts.py): the draft goes on whichever page opens next, even one left before the
// Save's own next page had run this script (Back tapped at once, on a slow phone).
const SAVED_COOKIE = "draft_saved";

function savedToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${SAVED_COOKIE}=`));
  if (!found) return null;
  document.cookie = `${SAVED_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict`;
  return found.slice(SAVED_COOKIE.length + 1);
}

// One value kept for the next page this tab opens, under `key` (sessionStorage: this tab
// alone), taken once; null where storage is refused.
function forTheNextPage(key) {
  return {
    put(value) {
      try {
        sessionStorage.setItem(key, value);
      } catch {}
    },
    take() {
      try {
        const value = sessionStorage.getItem(key);
        sessionStorage.removeItem(key);
        return value;
      } catch {
        return null;
      }
    },
  };
}

// The token of the last Save sent from this tab, for the page that comes next in it.
const sentFromThisTab = forTheNextPage("afterglow-draft-sent");

// The check-in day whose draft the note's Clear let go, for the page it opens next in this
// tab: that day's form as the journal has it, not turned to another day's words (which it
// names), one Clear at a time.
const clearedFor = forTheNextPage("afterglow-draft-cleared");

// A new token for each Save, sent in the form's `draft` field.
function tokenFor(form) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const token = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  let field = form.elements.draft;
  if (!field) {
    field = document.createElement("input");
    field.type = "hidden";
    field.name = "draft";
    form.append(field);
  }
  field.value = token;
  return token;
}

export function keepDrafts() {
  const all = readAll();
  const savedAs = savedToken();
  if (savedAs) {
    forgetSaved(all, savedAs);
    writeAll(all);
  }
  if (onLogInPage()) {
    for (const draft of Object.values(all)) if (draft.sent) draft.held = "signed-out";
    writeAll(all);
    return;
  }
  const owner = pageOwner();
  if (!owner) return; // no patient signed in: drafts wait for their writer
  // A form's words are kept under the address its Save goes to, which the log-in leads back
  // to: a form the journal showed again at another address (a session deleted meanwhile, its
  // words at its old address to save as a new one) kept them where no form would come again.
  const form = document.querySelector("form[data-draft]");
  const base = `${owner} ${form ? new URL(form.action, window.location.href).pathname : window.location.pathname}`;
  // A check-in form is for one day (its date): each day's words are kept apart, under the
  // day too. One place for every day let the words written for one replace another's: a
  // reflection left for yesterday, then today's check-in written, and yesterday's was gone.
  const dated = form?.elements.date && form.elements.loaded_for ? form.elements.date : null;
  const placeOf = (day) => (dated && day ? `${base} ${day}` : base);
  let here = placeOf(dated?.defaultValue);
  // The journal's answer to a Save that shows its form again for another address (the record
  // was deleted meanwhile): the words sent from this address are this form's, and go where
  // it saves now, over an older draft left there (which would be put back over them).
  const at = `${owner} ${window.location.pathname}`;
  if (form?.hasAttribute("data-sent") && at !== here && all[at]) {
    all[here] = all[at];
    delete all[at];
  }
  // This check-in form's drafts for other days (one kept before drafts were kept by day is
  // under the form's address alone), newest first: with none for this form's own day, the
  // newest opens here, turning the form to its day (below).
  const otherDays = (stored) =>
    Object.entries(stored)
      .filter(([id, draft]) => dated && draft.owner === owner && id !== here)
      .filter(([id]) => id === base || id.startsWith(`${base} `))
      .sort(([, a], [, b]) => b.at - a.at)
      .map(([id]) => id);
  // The day asked for, before any turn; Clear opens it as asked, whatever other days keep.
  const askedFor = dated?.defaultValue ?? null;
  const cleared = clearedFor.take();
  if (dated && !all[here] && otherDays(all).length && cleared !== askedFor) {
    here = otherDays(all)[0];
  }
  // This person's other drafts: one never sent waits for its form; one sent from this tab
  // goes when this page says it was saved (its message, as every save's next page has), and
  // is held otherwise (the connection dropped, the form had expired); one held stays held.
  // One sent from another tab is that tab's to settle: a message here is another Save's (a
  // setting saved in this tab while the other's Save had met the browser's offline page),
  // and it deleted words that never reached the journal.
  const saved = document.querySelector(".flash") !== null;
  const sentHere = sentFromThisTab.take();
  for (const [id, draft] of Object.entries(all)) {
    if (draft.owner !== owner || id === here || draft.held || !draft.sent) continue;
    if (!saved) draft.held = "unsent";
    else if (draft.token === sentHere) delete all[id];
  }
  // Sent from this form, and this page is the form opened afresh (not the journal's answer
  // to that Save, which marks its form data-sent): the Save never reached the journal.
  if (form && all[here]?.sent && !all[here].held && !form.hasAttribute("data-sent")) {
    all[here].held = "unsent";
  }
  // Never sent: the words were left, not dropped. So a refused Save's page reloaded, which
  // page.js made a GET of its form (forgetThePost), has its words back. So too on the
  // journal's answer to a Save (data-sent) that holds other words than the draft: that page
  // reloaded by a browser that sends the first Save again, after the words were changed on it.
  if (form && all[here] && !all[here].sent && !all[here].held) {
    if (differs(all[here].fields, fieldsOf(form), form)) all[here].held = "left";
  }
  const draft = all[here];
  // This page's own: kept while its form is here; without the form (the record was deleted
  // meanwhile, a 404), a held one waits as it is.
  if (!form && draft && !draft.held) delete all[here];
  else if (form && draft) all[here] = { ...draft, sent: false, held: false };
  writeAll(all);
  if (!form) return;
  // The browser's own keeping of a form's state for Back is left to the drafts: it filled a
  // form whose Save had already reached the journal (a new session, a check-up) with those
  // answers again, under a new request key, so a second Save kept them twice.
  form.setAttribute("autocomplete", "off");
  // The note above the form saying what came back (`why`), with this check-in's words kept
  // for other days, each day's form a tap away; `clearing`: the address Clear opens, if any,
  // and the check-in's day there (that day's form, not turned to another day's words).
  const tell = (why, clearing, day = null) => {
    document.getElementById("draft-note")?.remove();
    document.getElementById("draft-actions")?.remove();
    const stored = readAll();
    const days = otherDays(stored)
      .map((id) => stored[id].fields.find(([name]) => name === "date")?.[1])
      .filter((day, i, every) => day && every.indexOf(day) === i);
    if (!why && !days.length) return;
    const note = document.createElement("p");
    note.className = "note";
    note.id = "draft-note";
    note.setAttribute("role", "status");
    note.textContent = why;
    if (days.length) {
      const those = days.length === 1 ? "that day" : "those days";
      const labels = days.map(dayLabel);
      const first = labels.slice(0, -1).join(", ");
      const list = `${first ? `${first} and ` : ""}${labels.at(-1)}`;
      const kept = `What you wrote for ${list} is kept on this device for ${those}, not saved yet:`;
      note.append(why ? ` ${kept}` : kept);
      days.forEach((day, i) => {
        const link = document.createElement("a");
        link.href = `/checkin?date=${day}`;
        link.textContent = `open ${labels[i]}`;
        note.append(i ? ", " : " ", link);
      });
      note.append(".");
    }
    form.before(note);
    if (clearing) {
      // Words left behind may be old news (the day saved since, another way): one tap lets
      // them go, and the form opens as the journal has it.
      const clear = document.createElement("button");
      clear.type = "button";
      clear.textContent = "Clear what was put back";
      clear.addEventListener("click", () => {
        drop();
        if (day) clearedFor.put(day);
        if (window.location.href === clearing) window.location.reload();
        else window.location.replace(clearing);
      });
      const actions = document.createElement("p");
      actions.className = "actions";
      actions.id = "draft-actions";
      actions.append(clear);
      note.after(actions);
    }
  };
  // The words of this form's day put back here ({ at, fields }, once its form shows them):
  // that day's own, which a changed date leaves to it (checkin-days.js).
  let restored = null;
  if (!draft?.held) tell("", null);
  if (draft && draft.held) {
    let why = RESTORED[draft.held] || RESTORED["signed-out"];
    // Words whose key was never sent keep the key of the form they are put back into: theirs
    // (a new session's or a check-up's, for its next save) saved nothing, and taken into a
    // second tab while the first still had its form open, it made that tab's Save "the same
    // form sent again", which replaced the session the other tab had saved since. A key that
    // was sent stays with its words, however often they were left since: that Save may have
    // reached the journal unseen.
    const key = keyOf(draft.fields);
    const keySent = draft.held !== "left" || (key && key === draft.sentKey);
    let back = keySent ? draft.fields : draft.fields.filter(([name]) => name !== FORM_KEY);
    // Saved elsewhere since the words were written (the day checked in on another phone): the
    // form keeps it as saved now, the words on top and the saved ones shown beside them, and
    // says so; put back whole, the draft hid the saved answers and Save silently replaced them.
    if (savedSince(form, back)) {
      const saved = wordsOf(form);
      back = onTop(back);
      putBack(form, back);
      showReplaced(replacedOf(saved));
      why = `${why} ${SAVED_SINCE}`;
    } else {
      putBack(form, back);
    }
    // A check-in written for another day turns this form to that day (below): said, with the
    // day this page was opened for, or the person saved the words, or a new mood, on a day
    // they never meant. Clear leads back to the day asked for (the address as it opened; the
    // form's turn replaces it with the words' day).
    const opened = window.location.href;
    const day = form.elements.date;
    if (day && form.elements.loaded_for && day.value !== day.defaultValue) {
      const asked = dayLabel(day.defaultValue);
      const theirs = dayLabel(day.value);
      why += ` They were written for ${theirs}, so this form is now for that day, not for ${asked}.`;
      if (draft.held === "left") {
        why +=
          ` To fill in ${asked} instead, change the date back to it: what you wrote stays` +
          ` kept for ${theirs}. Or clear what was put back.`;
      }
    }
    tell(why, draft.held === "left" && opened, askedFor);
    restored = { at: draft.at, fields: back };
    // A check-in written for another day than the one this form opened on: that day's form
    // opens (checkin-days.js) with the answers put back kept on top of its saved ones. Told
    // which, since an answer put back that equals this day's saved one would look untouched
    // and give way to that day's (a private box ticked, on a day saved shared). A draft of
    // that day's empty form (no fingerprint of saved answers) claims only the answers the
    // person gave: the day may have been saved since, and an unticked box or an empty field
    // of the draft must not wipe what was saved there.
    const date = form.elements.date;
    form.dispatchEvent(new CustomEvent("draft-put-back"));
    if (date && date.value !== date.defaultValue) {
      const shownSaved = back.some(([name, value]) => name === "loaded_version" && value);
      const names = (shownSaved ? back : onTop(back)).map(([name]) => name);
      date.dispatchEvent(new CustomEvent("change", { detail: { putBack: names } }));
    } else {
      restored.fields = fieldsOf(form);
    }
  }
  // Letting the words go: this form's draft, and one still waiting to be kept (typed within
  // the pause before it; the page's leaving would keep it again).
  const drop = () => {
    clearTimeout(timer);
    timer = null;
    typedHere = false;
    const now = readAll();
    delete now[here];
    writeAll(now);
  };
  const save = (sent, token = null) => {
    const now = readAll();
    const fields = fieldsOf(form);
    // The form's key once a Save sent it, kept while the words keep that key (see put back).
    const key = keyOf(fields);
    const sentKey = sent || now[here]?.sentKey === key ? key : null;
    now[here] = { owner, at: Date.now(), sent, token, held: false, fields, sentKey };
    writeAll(now);
    wrote = now[here].at;
  };
  // When this page last kept its words (a draft since kept by another tab is that tab's).
  let wrote = null;
  let timer = null;
  // Words typed here that no Save, Cancel or emptying has taken since.
  let typedHere = false;
  const settle = (sent, token = null) => {
    clearTimeout(timer);
    timer = null;
    save(sent, token);
  };
  const typed = (event) => {
    // Another day chosen: that day's form opens (checkin-days.js), and which words go where is
    // settled then ("day-opened", below). Kept now, the form, still this day's answers under
    // the other date, took the place of this day's words, another tab's too.
    if (dated && event.target === dated && dated.value !== dated.defaultValue) return;
    typedHere = true;
    clearTimeout(timer);
    timer = setTimeout(() => stillHere(owner) && settle(false), 400);
  };
  form.addEventListener("input", typed);
  form.addEventListener("change", typed);
  form.addEventListener("submit", () => {
    // Logged out in another tab: this Save goes to the log-in page, and it wrote the words
    // back onto the device after the log-out had deleted them (an idle sign-out leaves the
    // note of who was signed in, and its Save is still kept for its writer).
    // Someone else signed in here since: the Save is not sent at all (signed-in.js).
    if (!stillHere(owner)) return drop();
    typedHere = false;
    const token = tokenFor(form);
    sentFromThisTab.put(token);
    settle(true, token);
  });
  window.addEventListener("pagehide", () => {
    // Logged out in another tab: leaving this one (its box losing the focus is a change too)
    // wrote the words back after the log-out had deleted them.
    if (!stillHere(owner)) return;
    // Left (a tap on another page, the tab closed) within the pause after the last key.
    if (timer !== null) return settle(false);
    // The same form open in another tab keeps its draft in the same place: that tab's Save
    // (its draft goes once saved) or its own words replaced these. Left unsaved, this tab's
    // words are kept again.
    if (!typedHere) return;
    const stored = readAll()[here];
    if (!stored || differs(stored.fields, fieldsOf(form), form)) save(false);
  });
  // The check-in turned to another day (checkin-days.js), by a draft put back (`fromDraft`:
  // its words are that day's own, as the form shows them now) or by the person: what the form
  // carried there is that day's now, what a draft had put back for the day left stays that
  // day's, and the new day's own words come back, never another day's in their place.
  form.addEventListener("day-opened", ({ detail }) => {
    const to = placeOf(detail.day);
    if (!dated || !stillHere(owner)) return;
    const now = readAll();
    if (detail.fromDraft) {
      // (Kept under the form's address alone, before drafts were kept by day: now its day's.)
      if (to !== here && now[here]) {
        now[to] = now[here];
        delete now[here];
        writeAll(now);
        here = to;
      }
      if (restored) restored.fields = fieldsOf(form);
      return;
    }
    if (to === here) return;
    clearTimeout(timer);
    timer = null;
    // The new day's own words, and the answers they hold: those stay as written for it, and
    // the form's answers to the same questions stay with the day they came from.
    const own = now[to]?.owner === owner ? now[to] : null;
    const ownGiven = own ? onTop(own.fields).filter(([name]) => name !== "date") : [];
    const theirs = new Set(ownGiven.map(([name]) => name));
    const stays = fieldsOf(form).filter(([n]) => detail.carried.includes(n) && theirs.has(n));
    const moved = new Set(detail.carried.filter((name) => !theirs.has(name)));
    const left = restored?.fields
      ? restored.fields.filter(([name]) => !detail.carried.includes(name))
      : stays.length && [["date", detail.from, false]];
    if (left) {
      const fields = [...left, ...stays];
      const at = restored?.at ?? Date.now();
      now[here] = { owner, at, sent: false, token: null, held: false, fields, sentKey: null };
    } else if (now[here]?.at === wrote) {
      delete now[here]; // this page's own words, which went with the form
    }
    here = to;
    restored = null;
    if (own) {
      putBack(form, ownGiven);
      form.dispatchEvent(new CustomEvent("draft-put-back"));
      restored = { at: own.at, fields: fieldsOf(form) };
    }
    writeAll(now);
    // Kept for the new day only if it holds words: theirs, or what the form brought along.
    typedHere = Boolean(own || moved.size);
    if (typedHere) save(false);
    const why = own
      ? `What you wrote for ${dayLabel(detail.day)} before is back in the form. It is not ` +
        "saved yet: check it, then save."
      : "";
    tell(why, own && window.location.href, detail.day);
  });
  // Emptied by its page (a check-in kept in the device's queue): the queue has the words.
  form.addEventListener("reset", drop);
  // Cancel lets the words go.
  for (const cancel of form.querySelectorAll("[data-drop-draft]")) {
    cancel.addEventListener("click", drop);
  }
}
