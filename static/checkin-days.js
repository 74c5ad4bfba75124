// The check-in form is bound to its day (journal/checkins.py): changing the date opens that
// day, with its saved answers or an empty form (and its heading and mood question), never
// the answers of the day it was filled with. What the person gave here (changed, and not
// left empty) stays on top; the server does the same without script.
import { sessionFrom } from "./checkin-sync.js";
import { followNewDay } from "./new-day.js";
import { labelOf, showReplaced } from "./replaced-words.js";
import { dayLabel, focusStatus, say } from "./status.js";

// Follow the date field of `form`. Returns { pending }: the day still loading, if any.
export function openingDays(form) {
  const state = { pending: null };
  const date = form.elements.date;
  const loadedFor = form.elements.loaded_for;
  if (!date || !loadedFor) return state;
  // `rated` names the symptoms this page has a field for: the fetched page's list (a symptom
  // stopped or brought back in another tab meanwhile) would not match this form's fields.
  const skipped = new Set(["csrf_token", "date", "idempotency_key", "rated"]);
  const controls = (root, name) => [...root.elements].filter((e) => e.name === name);
  const choice = (e) => e.type === "radio" || e.type === "checkbox";
  const stateOf = (e) => (choice(e) ? e.checked : e.value);
  // The answers a draft put back (drafts.js), as they came back: like the day's saved
  // answers, they are that day's own, kept for it on the device, and a changed date never
  // carries them onto another day; only what the person changes after is theirs to carry.
  let putBackAs = null;
  const snapshot = () => new Map([...form.elements].map((e) => [e, stateOf(e)]));
  form.addEventListener("draft-put-back", () => {
    putBackAs = snapshot();
  });
  const changed = (e) => {
    if (putBackAs?.has(e)) return stateOf(e) !== putBackAs.get(e);
    return choice(e) ? e.checked !== e.defaultChecked : e.value !== e.defaultValue;
  };
  const filled = (e) => (choice(e) ? e.checked : e.value.trim() !== "");
  // Named controls whose answer the person gave: changed from what the form was shown with.
  const given = (name) => {
    const mine = controls(form, name);
    return mine.some(changed) && mine.some(filled);
  };

  // Put `fresh`'s answers (the chosen day's) into the form, keeping what the person gave and
  // every answer of a draft put back (`putBack`: their names), whatever this form's were.
  function takeOver(fresh, putBack) {
    const names = new Set([...fresh.elements].map((e) => e.name).filter(Boolean));
    const replaced = [];
    const carried = [];
    for (const name of names) {
      if (skipped.has(name)) continue;
      const mine = controls(form, name);
      const theirs = controls(fresh, name);
      const keep = name !== "loaded_for" && (putBack.has(name) || given(name));
      if (keep) carried.push(name);
      const before = mine.map((e) => (choice(e) ? e.checked : e.value));
      // Every default of a group first: setting a radio's default checks it when the person
      // never touched that one, which unchecked the choice already put back in its group.
      for (const e of mine.filter(choice)) {
        const twin = theirs.find((t) => t.value === e.value);
        e.defaultChecked = Boolean(twin && twin.defaultChecked);
      }
      mine.forEach((e, i) => {
        if (choice(e)) {
          e.checked = keep ? before[i] : e.defaultChecked;
        } else {
          e.defaultValue = theirs[0] ? theirs[0].defaultValue : "";
          e.value = keep ? before[i] : e.defaultValue;
          const words = e.tagName === "TEXTAREA" || e.type === "text";
          if (keep && words && e.defaultValue.trim() && e.value !== e.defaultValue) {
            replaced.push({ label: labelOf(e), text: e.defaultValue });
          }
        }
      });
    }
    // A symptom stopped in another tab has no field on the fetched page: its rating here is
    // the first day's, not this one's. Cleared, and left out of `rated` (the server then
    // leaves this day's own rating alone), unless the person gave it.
    const dropped = new Set();
    for (const name of new Set([...form.elements].map((e) => e.name))) {
      const id = /^symptom_(\d+)$/.exec(name)?.[1];
      if (!id || names.has(name) || putBack.has(name) || given(name)) continue;
      for (const e of controls(form, name)) e.defaultChecked = e.checked = false;
      dropped.add(id);
    }
    const rated = form.elements.rated;
    if (rated && dropped.size) {
      rated.value = rated.value.split(" ").filter((n) => n && !dropped.has(n)).join(" ");
    }
    showReplaced(replaced);
    return carried;
  }

  // `fromDraft`: the answers kept are a draft's put back (drafts.js), not changes made here;
  // `newDay`: the form turns to today, past midnight (below).
  async function open(day, putBack, fromDraft, newDay) {
    let fresh;
    try {
      const response = await fetch(`/checkin?date=${encodeURIComponent(day)}`, {
        headers: { Accept: "text/html" },
        cache: "no-store",
        credentials: "same-origin",
      });
      // Not a day that can be checked in (still to come): saving explains it at the field. A
      // day still to come is said at once too: the heading, still the form's own day's, read
      // as if the form were for the day chosen, with no word until Save.
      if (!response.ok) {
        const { today } = form.dataset;
        if (response.status === 400 && today && day > today && date.value === day) {
          const chosen = `${dayLabel(day)} is still to come: choose today or a past day.`;
          say(`${chosen} This form is still for ${dayLabel(date.defaultValue)}.`);
          askAbout(date.defaultValue); // the mood question too, as the heading, is that day's
        }
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      fresh = page.querySelector("form.checkin");
      if (!fresh || date.value !== day) return; // signed out meanwhile, or changed again
      // Someone else signed in meanwhile (in another tab): their day is not this form's.
      if (sessionFrom(page)?.owner !== sessionFrom(document)?.owner) return;
      // The mood question is worded already (askAbout, when the date changed).
      for (const id of ["checkin-title", "day-note"]) {
        const here = document.getElementById(id);
        const there = page.getElementById(id);
        if (here && there) {
          here.textContent = there.textContent;
          here.hidden = there.hidden;
        }
      }
    } catch {
      // Offline. An empty form carries no day's answers, so it may be kept for that day;
      // one filled with another day's answers goes back to its own day.
      if (loadedFor.value) {
        date.value = date.defaultValue;
        askAbout(date.value);
        say(
          `You're offline, so another day can't be opened now. This form is still for ${dayLabel(date.value)}.`,
        );
      }
      return;
    }
    const carried = takeOver(fresh, putBack);
    const kept = carried.length > 0;
    const from = date.defaultValue;
    date.defaultValue = day;
    // A draft's day opened (its answers put back on top): they are that day's own now.
    putBackAs = fromDraft ? snapshot() : null;
    const button = form.querySelector("button[type='submit']");
    const theirButton = fresh.querySelector("button[type='submit']");
    if (button && theirButton) button.textContent = theirButton.textContent;
    const more = form.querySelector("details.more");
    if (more && fresh.querySelector("details.more[open]")) more.open = true;
    history.replaceState(null, "", `/checkin?date=${day}`);
    const shown = loadedFor.value ? "its saved answers" : "an empty check-in";
    const mine = fromDraft ? ", with what you wrote before" : ", with what you changed";
    if (newDay) {
      const saved = loadedFor.value ? ", with its saved answers" : "";
      say(`It's past midnight: this is now the check-in for today, ${dayLabel(day)}${saved}.`);
    } else {
      say(`This is now the form for ${dayLabel(day)}: ${shown}${kept ? mine : ""}.`);
    }
    // For the drafts (drafts.js): each day's words are kept apart, and what the form carried
    // here (`carried`: names) is this day's now, no longer the day it came from.
    const detail = { from, day, carried, fromDraft };
    form.dispatchEvent(new CustomEvent("day-opened", { detail }));
  }

  // Word the mood question for `day` in the server's words (the form's data attributes), at
  // once and whether or not the day's form can be fetched: offline an empty form keeps the
  // date chosen. The fetched page's words replace these when it comes.
  function askAbout(day) {
    const legend = form.querySelector("fieldset#mood > legend");
    const { today, moodToday, moodPast } = form.dataset;
    if (legend && moodToday && moodPast) legend.textContent = day === today ? moodToday : moodPast;
  }

  // A form sent back (a mistake, another day's form): the server names the answers the person
  // gave (data-given), which its defaults hold as if they were the day's own.
  let sentBack = (form.dataset.given || "").split(" ").filter(Boolean);
  // A draft's day is opening (drafts.js turned the date to it), the form not yet that day's.
  let turning = false;

  // `event`: the date's change, from the person or (drafts.js) from a draft put back.
  function follow(event) {
    const day = date.value;
    if (!/^\d{4}-\d\d-\d\d$/.test(day)) return;
    askAbout(day);
    // The form's own day again, while a draft's day was still opening (a quick tap, a slow
    // connection): the form held that day's words over this day's answers, and saved them
    // here. It opens this day afresh, the draft's words left to their day.
    if (day === date.defaultValue && !turning) return;
    const fromDraft = Boolean(event?.detail?.putBack);
    turning = fromDraft;
    const names = new Set([...(event?.detail?.putBack || []), ...sentBack]);
    const work = open(day, names, fromDraft, Boolean(event?.detail?.newDay))
      .then(() => {
        if (date.defaultValue !== day) return;
        sentBack = []; // the defaults are that day's now
        turning = false;
      })
      .catch(() => {});
    state.pending = work;
    work.then(() => {
      if (state.pending === work) state.pending = null;
    });
  }
  date.addEventListener("change", follow);
  // A form emptied after a save kept offline goes back to its own day: word it so again
  // (the reset event comes before the fields are reset).
  form.addEventListener("reset", () => {
    putBackAs = null;
    setTimeout(() => askAbout(date.value));
  });
  // Changed before this script ran (on a slow connection), or brought back changed by the
  // browser (Back, a reload): open that day now, as the change would have.
  follow();

  // The form stays for `day`, which is no longer today: its heading and note say so (and, at
  // a Save held for it, the status line, where the focus goes), or the person saved on a day
  // they never meant, under "How are you today?".
  function stays(day, atSave) {
    const label = dayLabel(day);
    const title = document.getElementById("checkin-title");
    if (title) title.textContent = `How was ${label}?`;
    const note = document.getElementById("day-note");
    const text =
      `It's past midnight: this check-in is for ${label}. To check in for today instead, ` +
      "change the date.";
    if (note) {
      note.textContent = note.hidden ? text : `${text} ${note.textContent}`;
      note.hidden = false;
    }
    if (atSave) {
      say(`Not saved yet: save again to keep it for ${label}, or change the date to today.`);
      focusStatus();
    }
  }
  // Left open past midnight (new-day.js). A form for the day that was today, untouched (no
  // answer given, no date chosen, nothing put back or sent back), turns to the new today as
  // a changed date would; one the person wrote in stays for its day, said so. A form for
  // another day chosen names that day already: only its mood question is worded again.
  followNewDay(form, (now, was, atSave) => {
    const today = now.slice(0, 10);
    askAbout(date.value);
    if (date.value !== was || date.defaultValue !== was) return false;
    const answers = [...form.elements].filter((e) => e.name && e.type !== "hidden");
    const untouched = !putBackAs && !sentBack.length && !answers.some(changed);
    if (!untouched) {
      stays(was, atSave);
      return true;
    }
    date.value = today;
    follow(new CustomEvent("change", { detail: { newDay: true } }));
    // Not opened (offline, with the day's saved answers): the form went back to its day.
    state.pending?.then(() => {
      if (date.value === was && date.defaultValue === was) stays(was, false);
    });
    return false;
  });
  return state;
}
