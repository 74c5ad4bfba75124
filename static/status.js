// The line where the script tells the person about their check-ins (#queue-status, a status
// region), and the words it uses for them.

let line = null;

// The status line of the check-ins kept on this device: the page's own (the offline page has
// one), or a new one atop <main>.
export function statusLine() {
  line ||= document.getElementById("queue-status");
  if (!line) {
    line = statusRegion();
    line.id = "queue-status";
    document.getElementById("main").prepend(line);
  }
  return line;
}

function statusRegion() {
  const region = document.createElement("p");
  region.className = "queue-status";
  region.setAttribute("role", "status");
  return region;
}

// For a control that says what it did (a tag suggestion, a copy button): a line of its own
// just after `near`, where the eye is, and a function to say `text` there. Not the check-ins'
// line, whose news (a check-in not sent) the control's words would replace. A screen reader
// reads a status region's changes only once it knows the region: made as the page opens, not
// when there is something to say.
export function lineAfter(near) {
  const own = statusRegion();
  near.after(own);
  return (text) => {
    own.textContent = text;
  };
}

// The page's note `id` (a paragraph read out as `role`: "status", or "alert" for what stops a
// Save), or a new one for the caller to place (`isConnected` false until it is).
export function pageNote(id, role) {
  const found = document.getElementById(id);
  if (found) return found;
  const note = document.createElement("p");
  note.className = "note";
  note.id = id;
  note.setAttribute("role", role);
  return note;
}

// Say `text`; with `help`, the crisis line's link and a word that calls work offline.
export function say(text, help = false) {
  const status = statusLine();
  status.textContent = text;
  if (help) {
    const link = document.createElement("a");
    link.href = "/help";
    link.textContent = "Get help now";
    status.append(" If you need someone now: ", link, ".");
    status.append(" Calls and texts work without the internet.");
  }
}

// Move the keyboard focus to the status line, in view: after what it says took the place of
// the control that had the focus (a Save button disabled while saving, a Dismiss button gone
// with its check-in), which would otherwise fall back to the page, and the next Tab to "Skip
// to content".
export function focusStatus() {
  const status = statusLine();
  status.tabIndex = -1;
  status.scrollIntoView({ block: "center" });
  status.focus({ preventScroll: true });
}

// After `text`: check-ins wait here for their writer, whose sign-in has ended, to log in.
export function askToLogIn(text, waiting) {
  say(text ? `${text} ` : "");
  const link = document.createElement("a");
  link.href = "/auth/login?next=%2Fcheckin";
  link.textContent = "Log in";
  const them = waiting === 1 ? "it" : "them";
  statusLine().append(`You're signed out. `, link, ` to send ${them}.`);
}

// "Mon 7 Dec", with the year when it is not this one ("Mon 28 Dec 2026"), as the server
// writes a day (timezones.day_text_near).
export function dayLabel(day) {
  const date = new Date(`${day}T12:00:00`);
  if (Number.isNaN(date.getTime())) return day;
  const label = date.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" });
  return date.getFullYear() === new Date().getFullYear() ? label : `${label} ${date.getFullYear()}`;
}

const plural = (n, one, many) => (n === 1 ? one : many.replace("#", n));
const listOf = (words) => new Intl.ListFormat("en-GB", { type: "conjunction" }).format(words);
// The days of `entries`, each once ("Mon 7 Dec and Tue 8 Dec").
const daysOf = (entries) =>
  [...new Set(entries.map((e) => e.day).filter(Boolean))].map(dayLabel);
const forDays = (days) => (days.length ? ` for ${listOf(days)}` : "");

export const sentText = (n) => `Sent ${plural(n, "1 check-in", "# check-ins")} saved on this device.`;

export const waitingText = (n) =>
  `${plural(n, "1 check-in is", "# check-ins are")} saved on this device, waiting to send.`;

// Check-ins a sync kept out (`keptOut`, entries of checkin-store.js): a newer one for that day
// was already saved, or the server could not take it as written. They stay on this device,
// listed on the check-in page with their words, until dismissed.
export function notSentText(keptOut) {
  const newer = daysOf(keptOut.filter((e) => e.state === "kept-newer"));
  const refused = keptOut.filter((e) => e.state !== "kept-newer");
  const why = [];
  if (keptOut.length > refused.length) {
    const one = newer.length <= 1;
    const them = one ? "a newer check-in" : "newer check-ins";
    why.push(`${them}${forDays(newer)} ${one ? "was" : "were"} already saved`);
  }
  if (refused.length) {
    const them = plural(refused.length, "the check-in", "the check-ins");
    why.push(`${them}${forDays(daysOf(refused))} could not be saved as written`);
  }
  const n = keptOut.length;
  const them = `${plural(n, "1 check-in", "# check-ins")} saved on this device`;
  return `${them} ${n === 1 ? "was" : "were"} not sent: ${why.join("; ")}.`;
}
