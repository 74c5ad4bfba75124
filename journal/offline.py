"""Installable and usable offline: the web app manifest, the service worker and the offline page.

The service worker (`static/sw.js`) is served from the site's root so that its scope is the
whole site. It keeps only the app shell on the device: the style sheet, the script, the icons,
the manifest and `/offline`. Pages with health data are never stored by it; the check-ins a
person saves while offline are kept by `static/checkin-store.js` in IndexedDB and sent with an
idempotency key (see `journal.checkins`).

The offline page carries a short check-in form (mood, reflection, private, self-harm), hidden:
the script shows it only on a device where a patient's sign-in has not lapsed (every page they
see leaves their queue tag and its end there, see `checkins.signed_in_here`; logging out or a
page seen signed out removes it), so a person who opens the app with no connection can still
write today's entry. It is queued under that tag like any other and sent only while the same
person is signed in. When the script finds nobody signed in while check-ins wait (the sign-in
ended while the phone was offline: idle, logged out or password changed elsewhere), it removes
the note and asks the person to log in; they are sent after that, and never under another.
The line about check-ins kept on the device is hidden too, shown by the script in the same
cases (a patient signed in here, or check-ins waiting here): a therapist or an admin reads a
plain "You're offline" and the crisis resources, which are there for everyone.
"""

import hashlib
import re
from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from flask_login import AnonymousUserMixin

from . import checkin_form
from .fields import REFLECTION_MAX

bp = Blueprint("offline", __name__)

VERSION_LINE = re.compile(r'^const VERSION = "[^"]*";$', re.MULTILINE)


def shell_version():
    """A short hash of every static file and of the offline page as this process renders it.

    The page itself, not the files it is made of (its templates, the crisis lines, the form's
    labels): an upgrade puts the new files on disk before the restart (docs/OPERATIONS.md), and
    a device that asked for the worker meanwhile stored the page the old process still renders
    under the new files' hash; the restart then changed nothing the hash saw, and the phone kept
    the old page (an old crisis line's number) until some later release."""
    digest = hashlib.sha256()
    static = Path(current_app.static_folder)
    for path in sorted(static.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(b"/offline\0" + offline_page().encode())
    return digest.hexdigest()[:16]


def offline_page():
    """The offline page, the same for everyone: rendered as for a visitor (no name, no clinic
    number, no navigation) and without taking a flashed message meant for the person's next
    real page."""
    return render_template(
        "offline.html",
        form=checkin_form.CheckinForm(meta={"csrf": False}, formdata=None),
        reflection_max=REFLECTION_MAX,
        current_user=AnonymousUserMixin(),
        get_flashed_messages=lambda: [],
    )


def uncached_revalidated(response, version):
    """Browsers ask again every time (no-cache) and get a 304 when nothing changed."""
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(version)
    return response.make_conditional(request)


@bp.route("/sw.js")
def service_worker():
    version = shell_version()
    source = (Path(current_app.static_folder) / "sw.js").read_text()
    source, found = VERSION_LINE.subn(f'const VERSION = "{version}";', source, count=1)
    if not found:
        raise RuntimeError("static/sw.js lost its VERSION line")
    response = current_app.response_class(source, mimetype="text/javascript")
    return uncached_revalidated(response, version)


@bp.route("/manifest.webmanifest")
def manifest():
    text = (Path(current_app.static_folder) / "manifest.webmanifest").read_bytes()
    response = current_app.response_class(text, mimetype="application/manifest+json")
    return uncached_revalidated(response, hashlib.sha256(text).hexdigest()[:16])


@bp.route("/offline")
def offline():
    # The page the service worker shows for any page it cannot fetch, for whoever uses the device.
    response = current_app.response_class(offline_page(), mimetype="text/html")
    # Not no-store: it holds no one's data, and the service worker keeps a copy on purpose.
    response.headers["Cache-Control"] = "no-cache"
    return response
