// A form for "today" left open past midnight: opened at 23:50 on Sunday, the phone put down,
// picked up at 08:00 on Monday, the words written and saved, and the form, still Sunday's,
// filed them on Sunday while it said "today". A form's `data-today` is the server's today in
// the person's time zone as the page was made; each time the page is shown again
// (visibilitychange, pageshow, focus) and just before its Save, today is read again (the
// server's clock as this device keeps it, signed-in.js). On a later day, the form's date
// fields whose latest day or moment (`max`) was the old today's take the new one, and the form
// turns: `turn(now, was, atSave)` says (true) when it stays for its day, now worded so; a Save
// that learnt it only then is not sent this time, so the person reads which day first.
import { accountNow, pageOwner, signedIn } from "./signed-in.js";
import { dayLabel, pageNote } from "./status.js";

const DATES = "input[type='date'], input[type='datetime-local']";

export function followNewDay(form, turn) {
  if (!form.dataset.today) return;
  // The person's time zone as their last page here says (changed in another tab: that is the
  // server's day for them now), else this page's; the device's clock read by the server's.
  const person = () => {
    const note = signedIn.read();
    const own = note?.owner === pageOwner() ? note.zone : "";
    const zone = own || document.querySelector("form.logout")?.dataset.timeZone;
    return { zone, skew: note?.skew };
  };
  const check = (atSave) => {
    const now = accountNow(person());
    const today = now.slice(0, 10);
    const was = form.dataset.today;
    // A date and time's latest moment was this page's: the same day too, it moves on with the
    // clock (a page made at 09:00 refused, in the picker, a session at 11:00 saved at 11:30).
    for (const field of form.querySelectorAll("input[type='datetime-local']")) {
      if (field.max.slice(0, 10) === was && field.max < now) field.max = now;
    }
    if (!(today > was)) return false;
    form.dataset.today = today;
    for (const field of form.querySelectorAll(DATES)) {
      if (field.max.slice(0, 10) === was) field.max = field.type === "date" ? today : now;
    }
    return turn(now, was, atSave);
  };
  const again = () => {
    if (document.visibilityState !== "hidden") check(false);
  };
  document.addEventListener("visibilitychange", again);
  window.addEventListener("pageshow", again);
  window.addEventListener("focus", again);
  // Before the form's own Save (a capture listener runs first at the form).
  form.addEventListener(
    "submit",
    (event) => {
      if (!check(true)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    { capture: true },
  );
}

// Whether the person changed `control` from what the page was shown with (words typed, a
// choice made, or put back by drafts.js). A list with no option marked selected shows its
// first.
function changed(control) {
  if (control.type === "radio" || control.type === "checkbox") {
    return control.checked !== control.defaultChecked;
  }
  if (control.tagName === "SELECT") {
    const marked = control.multiple || [...control.options].some((o) => o.defaultSelected);
    return [...control.options].some((o, i) => o.selected !== (marked ? o.defaultSelected : !i));
  }
  return control.value !== control.defaultValue;
}

// A check-up's or a new session's form (`data-today`, `data-today-what`: "check-up"), whose
// date (or date and time) was today's as the page was made. Untouched, it takes the new today
// (a session's, this moment); written in, it keeps its day and says so beside the date.
function plainForm(form) {
  const what = form.dataset.todayWhat || "form";
  followNewDay(form, (now, was, atSave) => {
    const dated = [...form.querySelectorAll(DATES)].filter((f) => f.value.slice(0, 10) === was);
    if (!dated.length) return false; // another day chosen: it says which
    // A form sent back (a mistake) shows the person's answers as the page's own.
    const answers = [...form.elements].filter((e) => e.name && e.type !== "hidden");
    if (!form.hasAttribute("data-sent") && !answers.some(changed)) {
      for (const field of dated) {
        field.defaultValue = field.value = field.type === "date" ? now.slice(0, 10) : now;
      }
      return false;
    }
    const field = dated[0].closest(".field") || dated[0];
    const note = pageNote("new-day-note", "status");
    if (!note.isConnected) field.before(note);
    note.textContent =
      `It's past midnight: this ${what} is dated ${dayLabel(was)}. To date it today ` +
      "instead, change the date.";
    if (atSave) {
      note.tabIndex = -1;
      note.scrollIntoView({ block: "center" });
      note.focus({ preventScroll: true });
    }
    return true;
  });
}

export function keepTodayTrue() {
  for (const form of document.querySelectorAll("form[data-today][data-today-what]")) {
    plainForm(form);
  }
}
