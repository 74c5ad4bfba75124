"""How an e-mail address is stored, looked up and compared (`users`, `tokens`)."""

import unicodedata


def email_key(email):
    """An address as it is stored, looked up and compared: in lower case in every script, and
    in Unicode's composed form (NFC). The column's NOCASE folds only A-Z, so "Émile@…" stored
    as typed was not found as "émile@…"; and an "é" typed as "e" and an accent (NFD, as some
    keyboards and pasted text send it) looked the same as "é" yet was another address, which
    could be registered twice and missed the log-in of the other."""
    return unicodedata.normalize("NFC", email.lower())
