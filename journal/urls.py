"""Addresses the app hands out: where a person starts, and absolute links for someone else."""

from flask import current_app, url_for


def home_url(user):
    """Where `user` starts: the caseload for a therapist, the accounts for an admin, the
    check-in for anyone else."""
    if getattr(user, "is_admin", False):
        return url_for("admin.index")
    return url_for("caseload.index" if getattr(user, "is_therapist", False) else "checkins.checkin")


def public_base(config):
    """JOURNAL_PUBLIC_URL, the address people reach the server at, as the links made outside
    a request start with: without the spaces an environment file may leave around it or a
    trailing slash ("" when unset)."""
    return (config.get("PUBLIC_URL") or "").strip().rstrip("/")


def public_url(endpoint, **values):
    """An absolute URL to hand to someone else (a share link, a calendar feed).

    https when the app is configured for it, even if the proxy in front did not say so.
    """
    if current_app.config["HTTPS"]:
        values["_scheme"] = "https"
    return url_for(endpoint, _external=True, **values)
