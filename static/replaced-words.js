// The saved words that the typed ones replace, shown beside the form (the block of
// templates/_replaced.html), never hidden under the typed ones: when the check-in's date
// changes onto a saved day (checkin-days.js), and when words left in a form come back over
// answers saved since (drafts.js).

// A control's label as the person reads it (its name when it has none).
export const labelOf = (e) => (e.labels && e.labels[0] ? e.labels[0].textContent.trim() : e.name);

// Show `replaced` ([{ label, text }]) in the block, or hide it when there is none.
export function showReplaced(replaced) {
  const block = document.getElementById("replaced-words");
  if (!block) return;
  const items = replaced.flatMap(({ label, text }) => {
    const term = document.createElement("dt");
    term.textContent = `${label}, as saved`;
    const words = document.createElement("dd");
    words.className = "reflection";
    words.textContent = text;
    return [term, words];
  });
  block.querySelector("dl").replaceChildren(...items);
  block.hidden = items.length === 0;
}
