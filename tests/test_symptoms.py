import re
from datetime import timedelta

import pytest
from conftest import make_app
from factories import NOW, deleted_first, signed_in_twice, signed_out_as_deleted

from journal import clock
from journal.checkin_form import CheckinForm, EditForm, form_class_with
from journal.data import symptoms as symptom_data
from journal.db import get_db

DAY = "2026-01-05"


def symptom_rows(app):
    with app.app_context():
        return list(get_db()["symptoms"].rows_where(order_by="id"))


def score_rows(app):
    with app.app_context():
        return (
            get_db().execute("select checkin_id, symptom_id, value from symptom_scores").fetchall()
        )


def add(client, name):
    return client.post("/settings/symptoms", data={"name": name})


def test_symptoms_page(client, patient):
    response = client.get("/settings/symptoms")
    assert response.status_code == 200
    assert "None yet" in response.text


def test_add_symptom_appears_on_the_checkin_form(app, client, patient):
    assert add(client, "  Rumination  ").status_code == 302
    (row,) = symptom_rows(app)
    assert row["name"] == "Rumination" and row["retired_at"] is None
    form = client.get("/checkin").text
    assert f'name="symptom_{row["id"]}"' in form
    assert form.count(f'type="radio" name="symptom_{row["id"]}"') == 11
    assert "<legend>Rumination</legend>" in form


def test_a_symptom_added_from_the_check_in_leads_back_to_it(client, patient):
    """The check-in's "Track a symptom of your own" led to this page, which led only back to
    settings: the way back to the half-filled check-in was the navigation's."""
    assert add(client, "Rumination").status_code == 302
    page = client.get("/settings/symptoms").text
    assert re.search(r'<a href="/checkin">Back to your check-in</a>', page)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Name the symptom, like rumination or pain."),
        ("x" * 41, "Keep the name to 40 characters."),
        ("Mood", "Mood is already on the check-in form."),
        ("sleep", "Sleep is already on the check-in form."),
        ("bad\x07bell", "invisible control characters"),
        # Issue 8: names cannot hide direction controls or invisible characters.
        ("Pain\u202e", "change the direction of text"),
        ("\u2066Pain\u2069", "change the direction of text"),
        ("\u200b", "only invisible characters"),
        ("\ufeff\u00ad", "only invisible characters"),
    ],
)
def test_bad_symptom(app, client, patient, name, message):
    response = add(client, name)
    assert response.status_code == 400
    assert message in response.text
    assert symptom_rows(app) == []


@pytest.mark.parametrize(
    ("first", "again"),
    [("Pain", "pAIN"), ("übelkeit", "Übelkeit"), ("ÉPUISEMENT", "épuisement"),
     ("Straße", "STRASSE"), ("Тревога", "тревога")],
)  # fmt: skip
def test_duplicate_symptom_any_case(app, client, patient, first, again):
    # In any script's case, not only ASCII's (the column's NOCASE folds only A-Z).
    add(client, first)
    response = add(client, again)
    assert response.status_code == 400
    assert "You already have a symptom with this name." in response.text
    assert [row["name"] for row in symptom_rows(app)] == [first]


def test_at_most_ten_active(tmp_path):
    app = make_app(tmp_path)
    client = app.test_client()
    from conftest import AuthActions

    AuthActions(client).register()
    for n in range(10):
        assert add(client, f"s{n}").status_code == 302
    response = add(client, "eleventh")
    assert response.status_code == 400
    assert "You track 10 symptoms already" in response.text
    client.post("/settings/symptoms/1/retire")
    assert add(client, "eleventh").status_code == 302
    assert client.post("/settings/symptoms/1/restore").status_code == 400
    assert symptom_rows(app)[0]["retired_at"] is not None


def test_rating_saved_with_the_checkin_and_prefilled(app, client, patient):
    add(client, "Rumination")
    response = client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "8"})
    assert response.status_code == 302
    assert score_rows(app) == [(1, 1, 8)]
    page = client.get(f"/entries/{DAY}").text
    assert "<dt>Rumination</dt><dd>8 / 10</dd>" in page
    edit = client.get(f"/entries/{DAY}/edit").text
    assert re.search(r'name="symptom_1" value="8" checked', edit)
    # Clearing the rating removes the score; the check-in stays.
    client.post(f"/entries/{DAY}/edit", data={"mood": "5"})
    assert score_rows(app) == []


@pytest.mark.parametrize("value", ["11", "-1", "2.5", "lots"])
def test_bad_rating_stores_nothing(app, client, patient, value):
    add(client, "Pain")
    response = client.post(
        "/checkin", data={"date": DAY, "mood": "5", "symptom_1": value, "reflection": "kept"}
    )
    assert response.status_code == 400
    assert 'id="symptom_1-error">Choose a whole number from 0 to 10.' in response.text
    assert "kept" in response.text
    assert score_rows(app) == []
    with app.app_context():
        assert get_db()["checkins"].count == 0


def test_stop_tracking_sent_twice_keeps_the_time_it_stopped(app, client, patient):
    # A double tap, or Back and the button again: the first time is when it stopped (as the
    # data export says), not the second.
    add(client, "Rumination")
    assert client.post("/settings/symptoms/1/retire").status_code == 302
    first = symptom_rows(app)[0]["retired_at"]
    clock.set(NOW + timedelta(minutes=5))
    assert client.post("/settings/symptoms/1/retire").status_code == 302
    assert symptom_rows(app)[0]["retired_at"] == first
    assert client.post("/settings/symptoms/1/restore").status_code == 302
    assert symptom_rows(app)[0]["retired_at"] is None


def test_stop_tracking_as_the_account_is_deleted_elsewhere_signs_out(app, monkeypatch):
    """The account is deleted on the phone after the request read the symptom: the page
    said "Rumination is off the check-in form" for an account that was gone. Now the person
    is signed out and told nothing was saved."""
    client, phone = signed_in_twice(app)
    add(client, "Rumination")
    client.get("/settings/symptoms")  # its flash read
    deleted_first(monkeypatch, symptom_data, "set_retired", phone)
    response = client.post("/settings/symptoms/1/retire")
    page = signed_out_as_deleted(client, response, "/settings/symptoms/1/retire")
    assert "Rumination is" not in page


def test_the_page_after_stopping_the_only_symptom_does_not_say_none_yet(client, patient):
    """Stopping the one symptom tracked left the page saying "None yet", as if the person had
    never tracked one, just above the symptom it listed as no longer tracked."""
    add(client, "Pain")
    client.post("/settings/symptoms/1/retire")
    page = client.get("/settings/symptoms").text
    assert "None yet" not in page
    assert "None now: the check-in has mood, anxiety, energy and sleep." in page
    assert "No longer tracked" in page


def test_retire_hides_from_form_and_keeps_history(app, client, patient):
    add(client, "Pain")
    client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "3"})
    assert client.post("/settings/symptoms/1/retire").status_code == 302
    assert 'name="symptom_1"' not in client.get("/checkin").text
    assert "No longer tracked" in client.get("/settings/symptoms").text
    # Editing that day without the retired field keeps its old score.
    client.post(f"/entries/{DAY}/edit", data={"mood": "6"})
    assert score_rows(app) == [(1, 1, 3)]
    assert "<dt>Pain</dt><dd>3 / 10</dd>" in client.get(f"/entries/{DAY}").text
    assert client.post("/settings/symptoms/1/restore").status_code == 302
    assert 'name="symptom_1"' in client.get("/checkin").text


def test_an_edit_sent_twice_on_a_day_with_a_retired_symptom_is_saved_once(app, client, patient):
    # The day's retired score has no field in the form: the second send is the same form
    # again, not "saved elsewhere".
    add(client, "Pain")
    client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "7"})
    assert client.post("/settings/symptoms/1/retire").status_code == 302
    page = client.get(f"/entries/{DAY}/edit").text
    version = re.search(r'name="loaded_version" type="hidden" value="([^"]*)"', page)[1]
    assert "symptom_1:" in version
    blank = {name: "" for name in ("anxiety", "energy", "sleep_hours", "tags", "reflection")}
    sent = {**blank, "mood": "6", "loaded_version": version}  # as the page sends it
    for _ in range(2):
        response = client.post(f"/entries/{DAY}/edit", data=sent)
        assert response.status_code == 302, response.text
    assert score_rows(app) == [(1, 1, 7)]
    assert "<dt>Mood</dt><dd>6 / 10</dd>" in client.get(f"/entries/{DAY}").text


def test_a_symptom_brought_back_in_another_tab_keeps_its_rating_when_an_edit_is_saved(
    app, client, patient
):
    """The edit page was shown while Pain was stopped (no field for it); another tab brought
    it back before this one was saved: its rating of that day was deleted as if cleared."""
    from test_checkins import form_fields

    add(client, "Pain")
    client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "7"})
    assert client.post("/settings/symptoms/1/retire").status_code == 302
    page = client.get(f"/entries/{DAY}/edit")
    assert 'name="symptom_1"' not in page.text
    assert client.post("/settings/symptoms/1/restore").status_code == 302  # the other tab
    response = client.post(f"/entries/{DAY}/edit", data=form_fields(page, mood="6"))
    assert response.status_code == 302, response.text
    assert score_rows(app) == [(1, 1, 7)]
    # The next page shown rates Pain again, and a rating sent from it is saved.
    page = client.get(f"/entries/{DAY}/edit")
    assert (
        client.post(f"/entries/{DAY}/edit", data=form_fields(page, symptom_1="2")).status_code
        == 302
    )
    assert score_rows(app) == [(1, 1, 2)]


@pytest.mark.parametrize("path", ["/checkin", f"/entries/{DAY}/edit"])
def test_a_rating_given_on_a_page_shown_before_the_symptom_was_stopped_is_saved(
    app, client, patient, path
):
    """Pain was stopped in another tab while this page, which rates it, was open: the rating
    the person gave was dropped without a word (its field was no longer the form's)."""
    from test_checkins import form_fields

    add(client, "Pain")
    client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "7"})
    page = client.get(path if "edit" in path else f"/checkin?date={DAY}")
    assert 'name="symptom_1"' in page.text
    assert client.post("/settings/symptoms/1/retire").status_code == 302  # the other tab
    sent = form_fields(page, mood="5", symptom_1="2")
    response = client.post("/checkin" if path == "/checkin" else path, data=sent)
    assert response.status_code == 302, response.text
    assert score_rows(app) == [(1, 1, 2)]
    assert 'name="symptom_1"' not in client.get("/checkin").text  # still stopped


def test_a_form_without_the_list_of_rated_symptoms_rates_those_tracked_now(app, client, patient):
    add(client, "Pain")
    sent = {"date": DAY, "mood": "5", "symptom_1": "4"}
    assert client.post("/checkin", data=sent).status_code == 302
    assert score_rows(app) == [(1, 1, 4)]
    # A list that is not one counts as none given; an empty one rates nothing.
    assert (
        client.post("/checkin", data={**sent, "symptom_1": "5", "rated": "1 x"}).status_code == 302
    )
    assert score_rows(app) == [(1, 1, 5)]
    assert client.post("/checkin", data={**sent, "symptom_1": "6", "rated": ""}).status_code == 302
    assert score_rows(app) == [(1, 1, 5)]


def test_a_json_body_rates_the_symptoms_its_rated_list_names(app, client, patient):
    """A JSON body's `rated` was not read (only a form body's): a rating given for a symptom
    stopped meanwhile was dropped while the answer said "updated"."""
    add(client, "Pain")
    client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "7"})
    assert client.post("/settings/symptoms/1/retire").status_code == 302
    body = {"date": DAY, "loaded_for": DAY, "mood": "5", "symptom_1": "2", "rated": "1"}
    response = client.post("/checkin", json=body, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert score_rows(app) == [(1, 1, 2)]
    # Read as the form reads a JSON body: a list of one text is that text; two are refused
    # at the field, and nothing is saved.
    body |= {"symptom_1": "4", "rated": ["1"]}
    response = client.post("/checkin", json=body, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert score_rows(app) == [(1, 1, 4)]
    body |= {"symptom_1": "5", "rated": ["1", "1"]}
    response = client.post("/checkin", json=body, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "rated" in response.json["errors"]
    assert score_rows(app) == [(1, 1, 4)]


def test_other_peoples_symptoms_are_404(app, client, auth):
    auth.register(email="one@example.com")
    add(client, "Pain")
    auth.logout()
    auth.register(email="two@example.com")
    assert client.post("/settings/symptoms/1/retire").status_code == 404
    assert client.post("/settings/symptoms/1/restore").status_code == 404
    assert client.post("/settings/symptoms/99/retire").status_code == 404
    assert 'name="symptom_1"' not in client.get("/checkin").text
    # A crafted field for someone else's symptom is ignored, not stored.
    client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "9"})
    assert score_rows(app) == []
    assert symptom_rows(app)[0]["retired_at"] is None


# Issue 8: symptom names cannot hide direction controls or invisible characters


def test_symptom_name_is_stored_without_invisible_characters(app, client, patient):
    assert add(client, "Ru\u200bmi\u00adnation\u2060").status_code == 302
    assert [row["name"] for row in symptom_rows(app)] == ["Rumination"]
    # The same name with a hidden character is the same name, not a look-alike second one.
    response = add(client, "Rumi\u200dnation")
    assert response.status_code == 400
    assert "You already have a symptom with this name." in response.text
    assert len(symptom_rows(app)) == 1


def test_a_hidden_character_between_a_letter_and_its_accent_makes_no_look_alike(
    app, client, patient
):
    # "U", a zero-width space (or a soft hyphen), then the combining diaeresis: once the hidden
    # character is out, it is the "Ü" of the name tracked already, composed as that one is.
    assert add(client, "\u00dcbelkeit").status_code == 302
    response = add(client, "U\u200b\u0308belkeit")
    assert response.status_code == 400
    assert "You already have a symptom with this name." in response.text
    assert [row["name"] for row in symptom_rows(app)] == ["\u00dcbelkeit"]
    add(client, "Pa\u00ad\u0301in")  # a look-alike of nothing tracked: stored composed
    assert symptom_rows(app)[-1]["name"] == "P\u00e1in"


def test_a_name_stored_decomposed_is_the_same_name_as_the_composed_one(app, client, patient):
    # A name stored before names were composed again after cleaning (see above).
    with app.app_context():
        user_id = get_db().execute("select id from users").fetchone()[0]
        get_db()["symptoms"].insert(
            {"user_id": user_id, "name": "U\u0308belkeit", "created_at": clock.utcnow_iso()}
        )
    response = add(client, "\u00fcbelkeit")
    assert response.status_code == 400
    assert "You already have a symptom with this name." in response.text
    assert len(symptom_rows(app)) == 1


# Issue 8 flows: adding a name that is already there, as a person or a double tap does


def test_adding_a_retired_name_says_how_to_bring_it_back(app, client, patient):
    add(client, "Pain")
    client.post("/settings/symptoms/1/retire")
    response = add(client, "pain")
    assert response.status_code == 400
    assert (
        "You stopped tracking Pain. Press \u201cTrack again\u201d below to bring it back "
        "with its history."
        in response.text.replace("&#8220;", "\u201c").replace("&#8221;", "\u201d")
    )
    assert 'value="pain"' in response.text  # the person's input is kept
    assert len(symptom_rows(app)) == 1


def test_two_adds_of_one_name_at_once_store_it_once(app, client, patient):
    # A double tap: both requests pass the form's check before either stores the name.
    from journal.settings.symptoms import add_symptom

    with app.app_context():
        user_id = get_db().execute("select id from users").fetchone()[0]
        assert add_symptom(user_id, "Pain") is True
        assert add_symptom(user_id, "pain") is False  # the other tap stored it: no 500
    assert [row["name"] for row in symptom_rows(app)] == ["Pain"]


def test_the_checkin_form_class_is_kept_per_set_of_symptoms_and_names():
    # Issue 11: made once per set and kept; a symptom with the same field under another name
    # (another database, as tests have) gets a class of its own, with its own label.
    pain = form_class_with(CheckinForm, (("symptom_1", "Pain"),))
    assert form_class_with(CheckinForm, (("symptom_1", "Pain"),)) is pain
    rumination = form_class_with(CheckinForm, (("symptom_1", "Rumination"),))
    assert rumination is not pain
    assert [pain.symptom_1.args[0], rumination.symptom_1.args[0]] == ["Pain", "Rumination"]
    assert form_class_with(EditForm, (("symptom_1", "Pain"),)) is not pain
    assert issubclass(form_class_with(EditForm, (("symptom_1", "Pain"),)), EditForm)
    assert form_class_with(CheckinForm, ()) is CheckinForm


def test_track_again_sent_twice_at_the_limit_is_no_error(tmp_path):
    """Nine tracked and one stopped: "Track again" tapped twice (or sent again from Back)
    brought it back the first time, and the second answered 400 "You track 10 symptoms
    already; stop tracking one first" about the symptom it had just brought back."""
    app = make_app(tmp_path)
    client = app.test_client()
    from conftest import AuthActions

    AuthActions(client).register()
    for n in range(10):
        assert add(client, f"s{n}").status_code == 302
    client.post("/settings/symptoms/1/retire")
    assert client.post("/settings/symptoms/1/restore").status_code == 302
    response = client.post("/settings/symptoms/1/restore", follow_redirects=True)
    assert response.status_code == 200
    assert "You track 10 symptoms already" not in response.text
    assert "s0 is back on your check-in form." in response.text
    assert all(row["retired_at"] is None for row in symptom_rows(app))


def test_two_tabs_adding_the_tenth_symptom_at_once_track_ten_not_eleven(
    app, client, patient, monkeypatch
):
    """Each tab counted nine and added one: eleven on the check-in form, past the limit."""
    import threading

    from conftest import AuthActions

    import journal.settings.symptoms

    for n in range(9):
        assert add(client, f"s{n}").status_code == 302
    other_tab = app.test_client()
    assert AuthActions(other_tab).login().status_code == 302
    real = journal.settings.symptoms.symptom_data.active
    answers, started = [], []

    def counted_then_the_other_tab_adds(db, user_id):
        counted = real(db, user_id)
        if not started:  # the first tab has counted: the second adds at that moment
            started.append(threading.Thread(target=lambda: answers.append(add(other_tab, "B"))))
            started[0].start()
            started[0].join(timeout=1)
        return counted

    monkeypatch.setattr(
        journal.settings.symptoms.symptom_data, "active", counted_then_the_other_tab_adds
    )
    first = add(client, "A")
    started[0].join()
    assert sorted([first.status_code, answers[0].status_code]) == [302, 400]
    assert len([row for row in symptom_rows(app) if row["retired_at"] is None]) == 10


def test_a_full_width_name_is_the_same_name_as_the_plain_one(app, client, patient):
    """A phone keyboard in a CJK script's full-width mode types "Ｐａｉｎ": it was tracked
    beside "Pain", two rows that read alike on the check-in form, and "Ｍｏｏｄ" beside the
    form's own Mood. Read as their plain forms, they are the names they look like."""
    assert add(client, "Pain").status_code == 302
    for name, message in (
        ("ＰＡＩＮ", "You already have a symptom with this name."),
        ("Ｍｏｏｄ", "is already on the check-in form."),
    ):
        response = add(client, name)
        assert response.status_code == 400 and message in response.text, name
    assert [row["name"] for row in symptom_rows(app)] == ["Pain"]
