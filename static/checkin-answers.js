// A check-in's answers as the script handles them (a list of [name, value] pairs from a
// form), and keeping them on this device. The rules come from the page the server rendered:
// the crisis mood from the form's data-crisis-mood (journal/rules.py CRISIS_MOOD), the mood
// scale's ends from its fieldset's data-low and data-high.
import { checkinQueue } from "./checkin-store.js";
import { say, statusLine } from "./status.js";

export const fieldValue = (fields, name) => (fields.find(([n]) => n === name) || [])[1];

// Whether help should be at hand for these answers from `form` (a mood of the crisis range or
// the self-harm answer), as the server would show it.
export const needsHelp = (fields, form) =>
  Number(fieldValue(fields, "mood")) <= Number(form.dataset.crisisMood) ||
  fieldValue(fields, "self_harm") !== undefined;

// A check-in saved offline without a mood: say so, at the scale too, and go to the scale.
// The status line alone sat at the page's top, a screen above the scale the focus went to
// when the text was large, and nothing at the scale said what was missing; the message goes
// where the server's answer puts it (macro `scale`: after the ends, tied to the group), and
// goes once a mood is chosen.
export function askForMood(form) {
  const scale = form.querySelector("fieldset.scale");
  const { low, high } = scale ? scale.dataset : {};
  say(`Choose your mood, from ${low} to ${high}, then save again.`);
  if (!scale) return;
  const id = `${scale.id}-error`;
  if (!document.getElementById(id)) {
    const note = document.createElement("p");
    note.className = "error";
    note.id = id;
    note.textContent = `Choose your mood, from ${low} to ${high}.`;
    scale.querySelector(".scale-options").before(note);
    const hint = scale.getAttribute("aria-describedby");
    scale.setAttribute("aria-describedby", [hint, id].filter(Boolean).join(" "));
    scale.classList.add("has-error");
    scale.addEventListener(
      "change",
      () => {
        note.remove();
        if (hint) scale.setAttribute("aria-describedby", hint);
        else scale.removeAttribute("aria-describedby");
        scale.classList.remove("has-error");
      },
      { once: true },
    );
  }
  scale.querySelector("input")?.focus({ preventScroll: true });
  scale.scrollIntoView({ block: "start" });
}

async function queue(owner, key, fields) {
  const value = (name) => fieldValue(fields, name);
  const mood = value("mood");
  await checkinQueue.put({
    key,
    owner,
    saved_at: new Date().toISOString(),
    fields,
    day: value("date") || "",
    mood,
    reflection: value("reflection") || "",
    state: "waiting",
  });
}

// Keep a check-in from `form` on this device for `owner`, to be sent later. False, having
// said so, when the device cannot (storage full or turned off): the words are still in the
// form.
export async function keepOnDevice(owner, key, fields, form) {
  try {
    await queue(owner, key, fields);
    return true;
  } catch {
    say(
      "This device could not keep your check-in. Your words are still in the form: " +
        "copy them somewhere safe, or try again when you're back online.",
      needsHelp(fields, form),
    );
    statusLine().scrollIntoView({ block: "center" });
    return false;
  }
}
