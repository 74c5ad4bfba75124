"""A person's own symptoms (`symptoms`) and their 0–10 ratings on check-ins (`symptom_scores`).

A retired symptom (`retired_at` set) is off the check-in form but keeps its scores.
"""

import unicodedata


def active(db, user_id):
    """The symptoms shown on the person's check-in form, in the order they were added."""
    return list(
        db["symptoms"].rows_where("user_id = ? and retired_at is null", [user_id], order_by="id")
    )


def every(db, user_id):
    """Every symptom the person has ever tracked, retired ones included."""
    return list(db["symptoms"].rows_where("user_id = ?", [user_id], order_by="id"))


def find_by_name(db, user_id, name):
    """The person's symptom called `name` in any case, or None. Compared in Python: the
    column's NOCASE folds only ASCII letters ("Übelkeit" and "übelkeit" would differ), and a
    person tracks a handful of symptoms."""
    return named(every(db, user_id), name)


def named(symptoms, name):
    """The symptom called `name` in any case among `symptoms` (rows of `every`), or None.
    Composed or not: a name stored decomposed (before fields.name_text composed what it
    cleaned) is the same name as the composed one that looks like it."""
    wanted = name_key(name)
    return next((row for row in symptoms if name_key(row["name"]) == wanted), None)


def name_key(name):
    """`name` as `named` compares names: composed, in any case, and read as plain letters
    where a phone keyboard's full-width mode (or a ligature) draws the same ones (NFKC):
    "Ｐａｉｎ" is "Pain"."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def add(db, user_id, name, now):
    """Track a new symptom: True, or False when the person has one of that name already."""
    cursor = db.execute(
        "insert into symptoms (user_id, name, created_at) values (?, ?, ?) "
        "on conflict (user_id, name) do nothing",
        [user_id, name, now],
    )
    return cursor.rowcount == 1


def set_retired(db, user_id, symptom_id, retired_at):
    """Retire the person's symptom at `retired_at` (one retired already keeps the time it
    was: "Stop tracking" sent twice), or restore it (None). False when the person has no
    such symptom (their account was deleted since it was read)."""
    found = db.execute(
        "update symptoms set retired_at = case when ? is null then null"
        " else coalesce(retired_at, ?) end where id = ? and user_id = ?",
        [retired_at, retired_at, symptom_id, user_id],
    )
    return found.rowcount == 1


def scores(db, checkin_id):
    """{symptom_id: value} for one check-in."""
    return dict(
        db.execute(
            "select symptom_id, value from symptom_scores where checkin_id = ?", [checkin_id]
        ).fetchall()
    )


def scores_with_names(db, checkin_id):
    """[{"name", "value"}] for one check-in, retired symptoms included, in the order the
    symptoms were added."""
    return [
        {"name": name, "value": value}
        for name, value in db.execute(
            "select y.name, s.value from symptom_scores s join symptoms y on y.id = s.symptom_id "
            "where s.checkin_id = ? order by y.id",
            [checkin_id],
        )
    ]


def save_scores(db, checkin_id, ratings):
    """Store one check-in's `ratings` ({symptom_id: value}); a None value removes that score.

    Scores of symptoms not in `ratings` are left as they were.
    """
    for symptom_id, value in ratings.items():
        if value is None:
            db.execute(
                "delete from symptom_scores where checkin_id = ? and symptom_id = ?",
                [checkin_id, symptom_id],
            )
        else:
            db.execute(
                "insert into symptom_scores (checkin_id, symptom_id, value) values (?, ?, ?) "
                "on conflict (checkin_id, symptom_id) do update set value = excluded.value",
                [checkin_id, symptom_id, value],
            )


def scores_by_checkin(db, user_id):
    """{checkin_id: {symptom_id: value}} for all of the person's check-ins."""
    scores = {}
    for checkin_id, symptom_id, value in db.execute(
        "select s.checkin_id, s.symptom_id, s.value from symptom_scores s "
        "join checkins c on c.id = s.checkin_id where c.user_id = ?",
        [user_id],
    ):
        scores.setdefault(checkin_id, {})[symptom_id] = value
    return scores
