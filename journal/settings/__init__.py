"""Everything under `/settings`: one blueprint, `settings`, whose whole URL table is here.

The pages' views are in the submodules (none makes a Blueprint or imports this one):

- general.py: `/settings` (time zone, window length, clinic number, the name on reports,
  private by default) and `/settings/password`;
- account.py: "Recent activity" and deleting the account (whose workings are
  journal/account.py);
- devices.py: the signed-in devices, and signing them out;
- passkeys.py: the person's passkeys (WebAuthn), adding, naming and removing them;
- two_factor.py: two-factor sign-in, on and off, and its recovery codes;
- reminders.py: the daily reminder and its calendar link (whose feed is journal/calendar/);
- symptoms.py: the person's own symptoms tracked on the check-in form;
- therapist.py: a patient linking to a therapist with an invite code, and unlinking (the
  codes and links themselves are journal/therapist_link.py).

Endpoints are `settings.<view function's name>`, so view names are unique across the
submodules.
"""

from flask import Blueprint

from . import account, devices, general, passkeys, reminders, symptoms, therapist, two_factor

bp = Blueprint("settings", __name__, url_prefix="/settings")

GET_POST = ["GET", "POST"]
POST = ["POST"]

bp.add_url_rule("", view_func=general.index, methods=GET_POST)
bp.add_url_rule("/password", view_func=general.password, methods=POST)
bp.add_url_rule("/delete", view_func=account.delete, methods=GET_POST)
bp.add_url_rule("/activity", view_func=account.activity)
bp.add_url_rule("/devices", view_func=devices.devices)
bp.add_url_rule("/devices/<int:signin_id>/signout", view_func=devices.signout_device, methods=POST)
bp.add_url_rule("/devices/signout-others", view_func=devices.signout_others, methods=POST)
bp.add_url_rule("/passkeys", view_func=passkeys.passkeys_page)
bp.add_url_rule("/passkeys/options", view_func=passkeys.passkey_options, methods=POST)
bp.add_url_rule("/passkeys/add", view_func=passkeys.add_passkey, methods=POST)
bp.add_url_rule("/passkeys/<int:passkey_id>/name", view_func=passkeys.rename_passkey, methods=POST)
bp.add_url_rule(
    "/passkeys/<int:passkey_id>/remove", view_func=passkeys.remove_passkey, methods=POST
)
bp.add_url_rule("/2fa", view_func=two_factor.two_factor_page, methods=GET_POST)
bp.add_url_rule("/2fa/off", view_func=two_factor.two_factor_off, methods=POST)
bp.add_url_rule("/2fa/codes", view_func=two_factor.two_factor_codes, methods=POST)
bp.add_url_rule("/reminders", view_func=reminders.reminders, methods=GET_POST)
bp.add_url_rule("/reminders/link", view_func=reminders.reminder_link, methods=POST)
bp.add_url_rule("/reminders/link/off", view_func=reminders.reminder_link_off, methods=POST)
bp.add_url_rule("/symptoms", view_func=symptoms.symptoms, methods=GET_POST)
bp.add_url_rule(
    "/symptoms/<int:symptom_id>/retire", view_func=symptoms.retire_symptom, methods=POST
)
bp.add_url_rule(
    "/symptoms/<int:symptom_id>/restore", view_func=symptoms.restore_symptom, methods=POST
)
bp.add_url_rule("/therapist", view_func=therapist.therapist, methods=GET_POST)
bp.add_url_rule("/therapist/unlink", view_func=therapist.unlink_therapist, methods=GET_POST)

bp.after_request(therapist.no_store)
