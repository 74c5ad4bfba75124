"""Dosing sessions: log, list (with each session's window figures), view, edit, delete."""

from flask import Blueprint

bp = Blueprint("sessions", __name__, url_prefix="/sessions")
