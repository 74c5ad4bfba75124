"""A check-in's tags: how comma-separated text becomes a list, and how many and how long they
may be (the check-in form, the import and the exports read tags alike)."""

import unicodedata

TAG_MAX = 40
TAGS_MAX = 20
# Tags are shown in a row, one string: a direction control in one turned the tags after it
# around (History, the edit form), so tags holding one are refused, as names are.
DIRECTION_MESSAGE = (
    "These tags hold hidden characters that change the direction of text (Unicode direction "
    "controls). Please type them again without them."
)


def visible(text):
    """True when `text` shows something: a character that is neither a space nor invisible (a
    zero-width space or joiner, a control character)."""
    return any(char.isprintable() and not char.isspace() for char in text or "")


def parse_tags(text):
    """Comma-separated tags as a clean list: trimmed, composed (NFC: "café" typed with a
    combining accent is the "café" typed with é), no empties (nothing visible counts as
    empty: a zero-width joiner alone would show as a blank chip), no case-insensitive
    repeats."""
    tags, seen = [], set()
    for tag in (text or "").split(","):
        tag = unicodedata.normalize("NFC", " ".join(tag.split()))
        if visible(tag) and tag_key(tag) not in seen:
            seen.add(tag_key(tag))
            tags.append(tag)
    return tags


def tag_key(tag):
    """What two tags that are one share: a tag of `parse_tags` in any case."""
    return tag.casefold()
