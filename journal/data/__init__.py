"""Afterglow's data layer: every SQL statement of the app lives in this package.

One module per table family. Each is plain functions that take a sqlite-utils `Database`
first and return dicts (or lists of dicts, or a scalar), in the manner of sqlite-utils and
Datasette: no ORM, no repository classes, no Flask. Views fetch with these functions, call
the pure modules (`windows`, `instruments`, `charts`), and respond. Every function that reads
a person's health data takes that person's id and scopes its query to it. Writes that must be
atomic are wrapped by the caller in `journal.db.write_transaction`; functions here never
commit on their own unless their name says so. The schema itself is `journal/migrations.py`.
"""
