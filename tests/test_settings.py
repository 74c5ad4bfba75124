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


def test_change_timezone(app, client, patient):
    response = client.post("/settings", data={"timezone": "Asia/Kolkata"})
    assert response.status_code == 302
    assert user(app)["timezone"] == "Asia/Kolkata"


@pytest.mark.parametrize("zone", ["", "Nowhere/Special", "utc; drop table users"])
def test_bad_timezone(app, client, patient, zone):
    response = client.post("/settings", data={"timezone": zone})
    assert response.status_code == 400
    assert "Choose a time zone from the list." in response.text
    assert user(app)["timezone"] == "UTC"


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
