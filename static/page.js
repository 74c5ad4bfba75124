// The page's general bits: small conveniences on any page, each independent of the others.
import { lineAfter } from "./status.js";

export function enhancePage() {
  // Registration: pick the browser's own time zone (the select stays there to correct it).
  const zone = document.querySelector("select[name='timezone'][data-detect]");
  if (zone) {
    const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (detected && [...zone.options].some((o) => o.value === detected)) zone.value = detected;
  }

  // Tags: tap a suggestion to add it to the comma-separated field, tap it again to take it out,
  // and hear which: the field, elsewhere on the page, changes without a word. A chip is pressed
  // (aria-pressed) while its tag is in the field, however it got there: typed, tapped, put back
  // from a draft or another day's form (their events), or emptied by a reset.
  for (const box of document.querySelectorAll(".suggestions[data-for]")) {
    const input = document.getElementById(box.dataset.for);
    if (!input) continue;
    box.hidden = false;
    const say = lineAfter(box);
    const name = input.labels[0]?.textContent.trim() || "the field";
    const tagsIn = () => input.value.split(",").map((t) => t.trim()).filter(Boolean);
    const same = (tag) => (t) => t.toLowerCase() === tag.toLowerCase();
    const chips = box.querySelectorAll("button[data-tag]");
    const mark = () => {
      const tags = tagsIn();
      for (const chip of chips) {
        chip.setAttribute("aria-pressed", tags.some(same(chip.dataset.tag)));
      }
    };
    mark();
    input.addEventListener("input", mark);
    for (const event of ["draft-put-back", "day-opened"]) input.form?.addEventListener(event, mark);
    input.form?.addEventListener("reset", () => setTimeout(mark));
    box.addEventListener("click", (event) => {
      const chip = event.target.closest("button[data-tag]");
      if (!chip) return;
      const tag = chip.dataset.tag;
      const tags = tagsIn();
      const there = tags.some(same(tag));
      input.value = (there ? tags.filter((t) => !same(tag)(t)) : [...tags, tag]).join(", ");
      mark();
      say(there ? `Removed “${tag}” from ${name}.` : `Added “${tag}” to ${name}.`);
    });
  }

  // Reflection: a quiet character count, so nobody is surprised by the limit (data-max, the
  // server's own limit, which counts characters as Python does: an emoji is one, not the two
  // UTF-16 units of `.length`).
  for (const counter of document.querySelectorAll("[data-counter-for]")) {
    const area = document.getElementById(counter.dataset.counterFor);
    if (!area) continue;
    const max = Number(area.dataset.max);
    const update = () => {
      const used = [...area.value.replace(/\r\n/g, "\n")].length;
      counter.hidden = used < max * 0.8;
      counter.textContent = `${used.toLocaleString()} of ${max.toLocaleString()} characters`;
    };
    area.addEventListener("input", update);
    update();
  }

  // Copy buttons: <button data-copy="id"> copies that input's value, or the lines of that list
  // (the recovery codes, one a line, named by the list's aria-label); without script the
  // input or the list is there to select by hand. The copy is said through the status line (a
  // button's new label is not reliably read) and the button reads "Copied" for a few
  // seconds, then is ready to copy again.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    const say = lineAfter(button);
    const label = button.textContent;
    const field = source.matches("input, textarea");
    const what = field
      ? source.labels[0]?.textContent.trim() || "Link"
      : source.getAttribute("aria-label") || "Text";
    const text = () =>
      field ? source.value : [...source.children].map((line) => line.textContent.trim()).join("\n");
    let timer = 0;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text());
      } catch {
        if (field) source.select();
        else getSelection().selectAllChildren(source);
        const is = field ? "is" : "are";
        say(`Not copied: the ${what.toLowerCase()} ${is} selected, to copy by hand.`);
        return;
      }
      button.textContent = "Copied";
      say(`${what} copied.`);
      clearTimeout(timer);
      timer = setTimeout(() => {
        button.textContent = label;
      }, 4000);
    });
  }

  // The error summary's link to a group of radio buttons or checkboxes points at its
  // fieldset, which cannot take the focus: the link moves the focus to the group's chosen
  // answer (or its first) and scrolls the question into view above it, as GOV.UK's error
  // summary does. Without script the link still scrolls there, and Tab goes on from there.
  // A link to a field of its own focuses it and shows its label and message above it (the
  // browser's jump put the box at the top edge of the screen, its label and message above).
  document.getElementById("error-summary")?.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    const group = target.matches("fieldset") ? target : null;
    const control = group
      ? group.querySelector("input:checked") || group.querySelector("input")
      : target.matches("input, select, textarea") && target;
    if (!control) return;
    event.preventDefault();
    const part = control.closest("details");
    if (part) part.open = true;
    control.focus({ preventScroll: true });
    (group || control.closest(".field") || control).scrollIntoView({ block: "start" });
  });

  // A form's sticky Save bar: the browser scrolls a control that takes the focus into view
  // only when it is off screen, not when it is on screen but under the bar (the style sheet's
  // scroll-padding counts only once it scrolls), so a field near the foot of the screen
  // (Reflection, with the optional parts open) was half hidden. Scroll it clear of the bar,
  // its top kept on screen.
  for (const bar of document.querySelectorAll("form .actions.sticky")) {
    bar.closest("form").addEventListener("focusin", (event) => {
      if (bar.contains(event.target)) return;
      const box = event.target.getBoundingClientRect();
      const under = box.bottom - bar.getBoundingClientRect().top;
      if (under > 0) window.scrollBy(0, Math.max(0, Math.min(under + 16, box.top)));
    });
  }

  // A form sent back with mistakes, or a file refused at /import: the focus starts on the box
  // that lists what to put right (`data-summary`, announced as an alert), so the next Tab, or
  // a swipe of a screen reader, goes to the first thing to fix rather than to the top of the
  // page. Crisis resources, below, come first when shown.
  const summary = document.querySelector("[data-summary]");
  if (summary) {
    summary.tabIndex = -1;
    summary.focus();
  } else {
    // A short form without a summary (delete the account, link to a therapist, two-factor):
    // its message can be a screen below the top, where the page opens, so it looked as if
    // nothing had happened. The focus goes to the first thing to put right: the first field
    // marked wrong, or a message about the whole form, scrolled into view with its label.
    const first = document.querySelector("main [aria-invalid='true'], main .form-error");
    if (first) {
      if (!first.matches("input, select, textarea")) first.tabIndex = -1;
      first.focus({ preventScroll: true });
      (first.closest(".field") || first).scrollIntoView({ block: "center" });
    }
  }

  // Crisis resources: bring them into view and to the screen reader first, from their heading
  // (the focus alone scrolled a box taller than the screen to its middle).
  const crisis = document.getElementById("crisis-resources");
  if (crisis) {
    crisis.focus({ preventScroll: true });
    crisis.scrollIntoView({ block: "start" });
  }

  // What the person just did, on the page that follows (`data-result`): its message ("Settings
  // saved.", in a status region, which a screen reader reads only when it changes, not when the
  // page opens with it) or what is shown only this once (a new link, recovery codes). The focus
  // starts there, as on GOV.UK's success banner, so it is read first; unless it is somewhere
  // already (the error summary, crisis resources, a field the person is in or one that asks
  // for it) or the address points at a part of the page.
  const result = document.querySelector("main [data-result]");
  const focused = document.activeElement && document.activeElement !== document.body;
  if (result && !focused && !pointedAt() && !document.querySelector("[autofocus]")) {
    result.tabIndex = -1;
    result.focus({ preventScroll: true });
    // Its top on screen, focus ring and all, when it is taller than the screen (a new link).
    result.scrollIntoView({ block: result.offsetHeight > window.innerHeight ? "start" : "nearest" });
  }
}

// The part of the page the address's #fragment points at, if any.
function pointedAt() {
  if (location.hash.length < 2) return null;
  try {
    return document.getElementById(decodeURIComponent(location.hash.slice(1)));
  } catch {
    return null; // a malformed fragment (%zz) points at nothing
  }
}

// The answer to a POST (a form sent back with mistakes, a link shown once) is a history entry
// the browser can open again only by sending the form again: Back to it, after the form was
// put right and saved, met Chromium's "Confirm Form Resubmission" page (ERR_CACHE_MISS, as a
// signed-in page is never cached), whose reload sent the form once more. The journal names
// the address whose GET shows this page (`data-answers-post`: the one posted to, or the page
// the form was on when that has no page of its own); the entry becomes a plain GET of it, so
// Back and reload open the form afresh, sending nothing, and what was typed on it comes back
// from its draft (drafts.js) unless a Save took it.
export function forgetThePost() {
  const address = document.body.dataset.answersPost;
  if (!address) return;
  const url = new URL(address, location.href);
  if (url.origin !== location.origin) return;
  history.replaceState(history.state, "", url);
}

// Writing is activity: while someone types a long reflection, tell the server now and then
// (at most every five minutes) so the idle sign-out does not end the sign-in under them.
export function keepSignInWhileWriting() {
  let last = Date.now();
  document.addEventListener("input", (event) => {
    if (!event.target.closest("form[method='post'] textarea, form[method='post'] input")) return;
    if (Date.now() - last < 5 * 60 * 1000) return;
    last = Date.now();
    fetch(window.location.pathname, { method: "HEAD", credentials: "same-origin" }).catch(() => {});
  });
}

// A page with several forms (Settings: your days, and the password) sends only the form
// tapped: what was changed in another and not saved came back as it was stored, the change
// gone without a word, whether the form sent was refused or saved. Forms marked
// data-keep-unsent note, as another form of the page is sent, what was changed in them; the
// next page this tab opens puts it back in the same form (where the value it was changed
// from is still the one shown) and says it is not saved yet. A password is never kept: its
// form says instead that the password is not changed.
const UNSENT = "afterglow-unsent";
const UNSENT_WORDS =
  "Not saved yet: what you changed here before sending the other form is back. Save to keep it.";
const PASSWORD_UNSENT_WORDS =
  "Your password is not changed: what you typed here was not sent (one form is sent at a time).";

export function keepUnsentChanges() {
  let notes = {};
  try {
    notes = JSON.parse(sessionStorage.getItem(UNSENT)) || {};
    sessionStorage.removeItem(UNSENT);
  } catch {}
  const forms = [...document.querySelectorAll("form[data-keep-unsent]")];
  for (const form of forms) {
    const note = notes[form.action];
    if (note) putBack(form, note);
  }
  if (forms.length < 2) return;
  document.addEventListener("submit", (event) => {
    if (event.defaultPrevented || !forms.includes(event.target)) return;
    const kept = {};
    for (const form of forms) {
      const changed = form === event.target ? null : changesIn(form);
      if (changed) kept[form.action] = changed;
    }
    try {
      if (Object.keys(kept).length) sessionStorage.setItem(UNSENT, JSON.stringify(kept));
    } catch {}
  });
}

// What was changed in `form` from what the page showed: {fields: {name: [shown, now]},
// password: true when a password was typed}, or null.
function changesIn(form) {
  const fields = {};
  let password = false;
  for (const control of form.elements) {
    if (!control.name || control.disabled) continue;
    if (control.type === "password") {
      password ||= control.value !== "";
    } else if (control.type === "checkbox") {
      if (control.checked !== control.defaultChecked) {
        fields[control.name] = [control.defaultChecked, control.checked];
      }
    } else if (control.tagName === "SELECT") {
      const shown = [...control.options].find((o) => o.defaultSelected)?.value ?? "";
      if (control.value !== shown) fields[control.name] = [shown, control.value];
    } else if (control.type !== "hidden" && "defaultValue" in control) {
      if (control.value !== control.defaultValue) {
        fields[control.name] = [control.defaultValue, control.value];
      }
    }
  }
  return Object.keys(fields).length || password ? { fields, password } : null;
}

function putBack(form, note) {
  let back = false;
  for (const [name, [shown, typed]] of Object.entries(note.fields || {})) {
    const control = form.elements.namedItem(name);
    if (!control || control instanceof RadioNodeList) continue;
    if (control.type === "checkbox") {
      if (control.checked !== shown) continue; // changed elsewhere meanwhile: that stays
      control.checked = typed;
    } else {
      if (control.value !== shown) continue;
      control.value = typed;
    }
    back = true;
  }
  const words = back ? UNSENT_WORDS : note.password && PASSWORD_UNSENT_WORDS;
  if (!words) return;
  const said = document.createElement("p");
  said.className = "note";
  said.dataset.unsentNote = "";
  said.setAttribute("role", "status");
  said.textContent = words;
  form.prepend(said);
}
