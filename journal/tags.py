"""A check-in's tags: how comma-separated text becomes a list, and how many and how long they
may be (the check-in form, the import and the exports read tags alike)."""

TAG_MAX = 40
TAGS_MAX = 20


def parse_tags(text):
    """Comma-separated tags as a clean list: trimmed, no empties (nothing visible counts as
    empty: a zero-width joiner alone would show as a blank chip), no case-insensitive
    repeats."""
    tags, seen = [], set()
    for tag in (text or "").split(","):
        tag = " ".join(tag.split())
        if any(char.isprintable() for char in tag) and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags
