import pytest
from conftest import PASSWORD

from journal.db import get_db


def user(app):
    with app.app_context():
        return get_db()["users"].get(1)


def test_settings_page(client, patient):
    response = client.get("/settings")
    assert response.status_code == 200
    assert '<option selected value="UTC">' in response.text


def test_settings_need_login(client):
    assert client.get("/settings").location == "/auth/login?next=/settings"


SETTINGS = {"timezone": "UTC", "window_days": "7", "clinic_phone": ""}


def test_change_settings(app, client, patient):
    response = client.post(
        "/settings",
        data={"timezone": "Asia/Kolkata", "window_days": "14", "clinic_phone": "+1 (555) 010-0199"},
    )
    assert response.status_code == 302
    row = user(app)
    assert (row["timezone"], row["window_days"], row["clinic_phone"]) == (
        "Asia/Kolkata",
        14,
        "+1 (555) 010-0199",
    )
    page = client.get("/settings").text
    assert 'value="14"' in page and "+1 (555) 010-0199" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": ""}, "Choose a time zone from the list."),
        ({"timezone": "Nowhere/Special"}, "Choose a time zone from the list."),
        ({"timezone": "utc; drop table users"}, "Choose a time zone from the list."),
        ({"window_days": "1"}, "Choose from 2 to 28 days."),
        ({"window_days": "29"}, "Choose from 2 to 28 days."),
        ({"window_days": ""}, "Enter a number of days from 2 to 28."),
        ({"window_days": "seven"}, "Not a valid integer value."),
        ({"clinic_phone": "call me maybe"}, "Use digits, spaces, +, -, ( and ) only"),
        ({"clinic_phone": "1" * 31}, "Keep it to 30 characters."),
    ],
)
def test_bad_settings(app, client, patient, data, message):
    response = client.post("/settings", data={**SETTINGS, **data})
    assert response.status_code == 400
    assert message in response.text
    row = user(app)
    assert (row["timezone"], row["window_days"], row["clinic_phone"]) == ("UTC", 7, "")


def test_clinic_number_joins_the_crisis_resources(client, patient):
    client.post("/settings", data={**SETTINGS, "clinic_phone": "+1 555 010 0199"})
    assert 'href="tel:+15550100199"' in client.get("/help").text
    response = client.post("/checkin", data={"date": "2026-01-05", "mood": "1"})
    page = client.get(response.location).text
    assert 'id="crisis-resources"' in page and 'href="tel:+15550100199"' in page


def test_change_password(app, client, auth, patient):
    new = "a new and longer passphrase"
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 400
    assert auth.login(password=new).status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"current_password": "wrong one!!"}, "That is not your current password."),
        ({"current_password": ""}, "Enter your current password."),
        ({"new_password": "short", "confirm": "short"}, "Use 10 to 256 characters."),
        ({"confirm": "something else entirely"}, "The two new passwords are not the same."),
    ],
)
def test_bad_password_change(app, client, patient, data, message):
    before = user(app)["password_hash"]
    form = {
        "current_password": PASSWORD,
        "new_password": "another good passphrase",
        "confirm": "another good passphrase",
        **data,
    }
    response = client.post("/settings/password", data=form)
    assert response.status_code == 400
    assert message in response.text
    assert user(app)["password_hash"] == before


def test_new_reflections_start_private_when_chosen(app, client, patient):
    assert 'name="private" type="checkbox" value="y">' in client.get("/checkin").text
    response = client.post(
        "/settings", data={**SETTINGS, "private_by_default": "y", "report_name": "R. 🌿"}
    )
    assert response.status_code == 302
    assert (user(app)["private_by_default"], user(app)["report_name"]) == (1, "R. 🌿")
    assert 'checked id="private" name="private"' in client.get("/checkin").text
    assert 'checked id="private" name="private"' in client.get("/sessions/new").text
    # An existing entry keeps its own choice.
    client.post("/checkin", data={"date": "2026-01-05", "mood": "5"})
    assert 'checked id="private"' not in client.get("/entries/2026-01-05/edit").text


def test_report_name_too_long(app, client, patient):
    response = client.post("/settings", data={**SETTINGS, "report_name": "n" * 81})
    assert response.status_code == 400
    assert "Keep it to 80 characters." in response.text
    assert user(app)["report_name"] == ""


def test_password_change_signs_out_other_devices(app, client, auth, patient):
    from conftest import AuthActions

    phone = app.test_client()
    AuthActions(phone).login(remember="y")
    assert phone.get("/entries").status_code == 200
    new = "a new and longer passphrase"
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert client.get("/entries").status_code == 200  # this device carries on
    # The other device's session and its remember-me cookie both stop working.
    assert phone.get("/entries").status_code == 302
    phone.delete_cookie("session")
    assert phone.get("/entries").status_code == 302


def test_current_password_guesses_are_throttled(app, client, patient):
    wrong = {"current_password": "not it at all", "new_password": "x" * 12, "confirm": "x" * 12}
    for _ in range(5):
        assert (
            "That is not your current password."
            in client.post("/settings/password", data=wrong).text
        )
    response = client.post(
        "/settings/password",
        data={**wrong, "current_password": PASSWORD},  # even the right one now waits
    )
    assert response.status_code == 400
    assert "Too many wrong passwords" in response.text
    with app.app_context():
        assert check_hash(app) == "unchanged"


def check_hash(app):
    from werkzeug.security import check_password_hash

    return "unchanged" if check_password_hash(user(app)["password_hash"], PASSWORD) else "changed"
