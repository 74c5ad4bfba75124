// A check-in's answers as the script handles them (a list of [name, value] pairs from a
// form), and keeping them on this device. The rules come from the page the server rendered:
// the crisis mood from the form's data-crisis-mood (journal/rules.py CRISIS_MOOD), the mood
// scale's ends from its fieldset's data-low and data-high.
import { checkinQueue } from "./checkin-store.js";
import { dayLabel, say, statusLine } from "./status.js";

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

// The name `root`'s form gives the symptom rated by the field `name` (symptom_<id>): its
// scale's legend.
const symptomName = (root, name) =>
  root
    .querySelector(`fieldset.scale input[name="${CSS.escape(name)}"]`)
    ?.closest("fieldset")
    .querySelector("legend")
    ?.textContent.trim();

const isSymptom = (name) => /^symptom_\d+$/.test(name);

async function queue(owner, key, fields, form) {
  const value = (name) => fieldValue(fields, name);
  const mood = value("mood");
  // The names of the symptoms rated, as the form named them: the offline page has none.
  const labels = {};
  for (const [name] of fields) if (isSymptom(name)) labels[name] = symptomName(form, name);
  await checkinQueue.put({
    key,
    owner,
    saved_at: new Date().toISOString(),
    fields,
    labels,
    day: value("date") || "",
    mood,
    reflection: value("reflection") || "",
    state: "waiting",
  });
}

// A kept check-in's answers besides its day, mood and words, as lines (<p>) for the lists
// of what waits on this device (the check-in page's, the offline page's), so the person sees
// that all they gave is kept: the ratings and sleep on one line, as the day's page writes
// them, then the tags, the private box and the safety answer. A symptom is named as the form
// named it when the check-in was kept, or (kept by an older page) as this page names it.
export function keptAnswerLines(entry) {
  const fields = entry.fields || [];
  const value = (name) => (fieldValue(fields, name) || "").trim();
  const ratings = [];
  if (value("anxiety")) ratings.push(`Anxiety ${value("anxiety")} / 10`);
  if (value("energy")) ratings.push(`Energy ${value("energy")} / 10`);
  if (value("sleep_hours")) ratings.push(`Sleep ${value("sleep_hours")} h`);
  for (const [name, rating] of fields) {
    if (!isSymptom(name) || !rating) continue;
    const symptom = entry.labels?.[name] || symptomName(document, name) || "A symptom";
    ratings.push(`${symptom} ${rating} / 10`);
  }
  const lines = ratings.length ? [ratings.join(" · ")] : [];
  if (value("tags")) lines.push(`Tags: ${value("tags")}`);
  if (fieldValue(fields, "private") !== undefined) lines.push("Private: only you see its words.");
  if (fieldValue(fields, "self_harm") !== undefined) {
    lines.push("You noted thoughts of harming yourself this day.");
  }
  return lines.map((text) => {
    const line = document.createElement("p");
    line.textContent = text;
    return line;
  });
}

// The first line of a kept check-in in a list of them (the check-in page's, the offline
// page's): its day and mood, then `state`, what became of it.
export function keptSummary(entry, state) {
  const summary = document.createElement("p");
  const when = document.createElement("strong");
  when.textContent = `${dayLabel(entry.day)}, mood ${entry.mood}: `;
  summary.append(when, state);
  return summary;
}

// A kept check-in's words, as a list shows them (none when it has none).
export function keptWords(entry) {
  if (!entry.reflection) return [];
  const words = document.createElement("p");
  words.className = "reflection";
  words.textContent = entry.reflection;
  return [words];
}

// Keep a check-in from `form` on this device for `owner`, to be sent later. False, having
// said so, when the device cannot (storage full or turned off): the words are still in the
// form.
export async function keepOnDevice(owner, key, fields, form) {
  try {
    await queue(owner, key, fields, form);
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
