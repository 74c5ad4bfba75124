"""The shape of the code (issue 11), read from the source: layers, import cycles, SQL.

- No import cycles among journal's modules, counting imports inside functions too (an import
  moved into a function hides a cycle; it does not remove it).
- A view module (one that makes a Blueprint) never imports another view module, and the lower
  layers never import a view module. journal/data/ and the pure core never import Flask.
- Every SQL statement lives in journal/data/ (or journal/migrations.py, the schema).
- Dates and times are formatted by journal/timezones.py (DAY_FORMATS) alone.
- A clinical rule that can be read mechanically is written in journal/rules.py alone.
"""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "journal"
# The pure core (README, "How the code is laid out"): standard library (and matplotlib,
# fpdf2's layout) only, never Flask.
PURE = {"journal.rules", "journal.clock", "journal.windows", "journal.instruments",
        "journal.charts", "journal.timezones", "journal.numbers", "journal.tags",
        "journal.spreadsheet", "journal.joined", "journal.devices", "journal.phones",
        "journal.reports.layout"}  # fmt: skip
SQL = re.compile(
    r"^\s*(select\s[\s\S]*\bfrom\b|select\s+\d|insert\s+(or\s+\w+\s+)?into\b"
    r"|update\s+\[?\w+\]?\s+set\b|delete\s+from\b|create\s+(table|index|unique|trigger|view)\b"
    r"|alter\s+table\b|drop\s+(table|index)\b|pragma\s+\w+|with\s+\w+\s*(\([^)]*\))?\s+as\s*\()",
    re.I,
)
# sqlite-utils' own calls too: `db.table(...)`, and `db.table_names()` reads the schema.
SQL_METHODS = {"execute", "executemany", "executescript", "query", "rows_where", "count_where",
               "delete_where", "insert_all", "upsert_all", "lookup", "table",
               "table_names"}  # fmt: skip


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def resolve(importer, node):
    """The journal modules an import statement names (relative imports resolved)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name.split(".")[0] == "journal"}
    package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    base = node.module or ""
    if node.level:
        base = f"{package}.{base}".rstrip(".")
    if base.split(".")[0] != "journal":
        return set()
    found = set()
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        found.add(candidate if candidate in MODULES else base)
    return {name for name in found if name in MODULES}


def imports(name):
    """Every journal module `name` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found |= resolve(name, node)
    found.discard(name)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def is_view(name):
    """A module that makes a Blueprint (journal's web layer)."""
    return any(
        isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint"
        for node in ast.walk(TREES[name])
    )


VIEWS = {name for name in MODULES if is_view(name)}


def flask_imports(name):
    return {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(TREES[name])
        if isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0)
        for alias in node.names
        if (alias.name if isinstance(node, ast.Import) else node.module or "").startswith(
            ("flask", "werkzeug")
        )
    }


def cycles():
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_reading_of_imports_sees_what_is_there():
    # The checks below stand on this reading: it finds the imports that are there.
    assert "journal.rules" in GRAPH["journal.windows"]
    assert "journal.clock" in GRAPH["journal.timezones"]
    assert {"journal.auth", "journal.checkins"} <= VIEWS
    assert "journal.windows" not in VIEWS


def test_no_module_of_journal_is_in_an_import_cycle():
    assert cycles() == []


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_view_module_imports_no_other_view_module(view):
    assert GRAPH[view] & VIEWS == set()


@pytest.mark.parametrize("module", sorted(set(MODULES) - VIEWS))
def test_a_lower_module_imports_no_view_module(module):
    # journal/__init__.py builds the app from the views: the one module above them all.
    if module == "journal":
        return
    assert GRAPH[module] & VIEWS == set()


@pytest.mark.parametrize(
    "module", sorted(n for n in MODULES if n.startswith("journal.data") or n in PURE)
)
def test_the_data_layer_and_the_pure_core_never_import_flask(module):
    assert flask_imports(module) == set()


def sql_in(name):
    """(line, what) for each SQL statement or database call in module `name`."""
    return sql_in_tree(TREES[name])


def sql_in_tree(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append((node.lineno, node.value.strip()[:40]))
        elif isinstance(node, ast.JoinedStr):
            text = " ? ".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
            if SQL.match(text):
                found.append((node.lineno, text.strip()[:40]))
        elif isinstance(node, ast.Attribute) and node.attr in SQL_METHODS:
            found.append((node.lineno, f".{node.attr}("))
        elif isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "db":
            found.append((node.lineno, "db[...]"))
        elif (
            isinstance(node, ast.keyword)
            and node.arg in ("order_by", "where")
            and isinstance(node.value, ast.Constant | ast.JoinedStr)
        ):
            # A clause handed to the data layer to run: History's "day desc" was one.
            found.append((node.value.lineno, f"{node.arg}="))
    return found


@pytest.mark.parametrize(
    "module",
    sorted(n for n in MODULES if not n.startswith("journal.data") and n != "journal.migrations"),
)
def test_no_sql_outside_the_data_layer(module):
    assert sql_in(module) == []


def test_the_sql_check_finds_sql():
    # It can fail: the data layer and the migrations are full of what it looks for.
    assert sql_in("journal.migrations")
    assert any(sql_in(n) for n in MODULES if n.startswith("journal.data."))


def test_the_sql_check_flags_a_clause_handed_to_the_data_layer():
    assert sql_in_tree(ast.parse('owned_page("checkins", order_by="day desc")')) == [
        (1, "order_by=")
    ]
    assert sql_in_tree(ast.parse('owned_page("checkins", order_by=data.NEWEST_FIRST)')) == []


def test_the_sql_check_flags_a_database_call_on_any_object():
    assert sql_in_tree(ast.parse("db.execute('x')")) == [(1, ".execute(")]
    assert sql_in_tree(ast.parse("conn().execute('x')")) == [(1, ".execute(")]
    assert sql_in_tree(ast.parse("fig.get_layout_engine().execute(fig)")) == [(1, ".execute(")]


# A strftime call, or a date or time directive in a string: "%-d %b", "%H:%M", "%Y-%m".
DATE_FORMAT = re.compile(r"strftime\(|%-?[aAbBdHMY]\b(?=[^%]*%-?[aAbBdHmMY])")
TEMPLATES = PACKAGE.parent / "templates"


def date_formats_in(path):
    text = path.read_text(encoding="utf-8")
    return [m.group() for m in DATE_FORMAT.finditer(text)]


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "timezones.py"]
    + sorted(TEMPLATES.rglob("*.html")),
    ids=lambda p: str(p.relative_to(PACKAGE.parent)),
)
def test_dates_are_formatted_by_timezones_alone(path):
    # One format per length in timezones.DAY_FORMATS; templates use `day_text`/`local_time`.
    assert date_formats_in(path) == []


def test_the_date_format_check_finds_formats():
    assert date_formats_in(PACKAGE / "timezones.py")


# Template filters: registered for the whole app in one place


FILTER_CALLS = {"app_template_filter", "add_app_template_filter", "template_filter",
                "add_template_filter"}  # fmt: skip


def filters_registered_in(tree):
    """(line, how) for each template filter registered in a module's source."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FILTER_CALLS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Attribute) and node.attr == "filters":
            found.append((node.lineno, "filters"))
    return found


@pytest.mark.parametrize("module", sorted(set(MODULES) - {"journal.pages"}))
def test_template_filters_are_registered_by_pages_alone(module):
    # The settings blueprint registered `tel` for the whole app, while the crisis panel that
    # every page shows uses it; pages.init_app registers every filter.
    assert filters_registered_in(TREES[module]) == []


def test_the_filter_check_finds_filters():
    assert filters_registered_in(TREES["journal.pages"])
    assert filters_registered_in(ast.parse('bp.add_app_template_filter(tel, "tel")')) == [
        (1, "add_app_template_filter")
    ]


# Paging a list: one helper (db.py) and one macro (_macros.html's `pager`)


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PACKAGE.rglob("*.py")) if p.name not in ("db.py", "__init__.py")]
    + [p for p in sorted(TEMPLATES.rglob("*.html")) if p.name != "_macros.html"],
    ids=lambda p: str(p.relative_to(PACKAGE.parent)),
)
def test_lists_are_paged_by_one_helper_and_one_macro(path):
    # The admin's accounts and a patient's history on the caseload had pagers of their own,
    # and four views read ENTRIES_PER_PAGE and worked out the number of pages themselves.
    text = path.read_text(encoding="utf-8")
    assert 'ENTRIES_PER_PAGE"]' not in text  # db.per_page()
    assert 'class="pager"' not in text  # {{ pager(...) }}


# Whether an account may sign in and be used: people.is_active alone


def names_deactivated(node):
    """Whether `node` reads an account's deactivated_at (row["..."], .get("..."), .attr)."""
    return any(
        (isinstance(n, ast.Constant) and n.value == "deactivated_at")
        or (isinstance(n, ast.Attribute) and n.attr == "deactivated_at")
        for n in ast.walk(node)
    )


def activity_rules_in(tree):
    """Lines where deactivated_at decides something: an `if`, a `while`, an `and`/`or`, a
    `not` (showing when an account was turned off, as the admin's page does, is left)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.While):
            decides = node.test
        elif isinstance(node, ast.BoolOp) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        ):
            decides = node
        else:
            continue
        if names_deactivated(decides):
            found.add(node.lineno)
    return sorted(found)


@pytest.mark.parametrize(
    "module",
    sorted(
        n
        for n in MODULES
        if n != "journal.people" and not n.startswith("journal.data") and n != "journal.migrations"
    ),
)
def test_whether_an_account_may_be_used_is_decided_by_people_alone(module):
    # The log-in, the two-factor step, a passkey, a reset mail, the calendar feed, a share
    # link and the admin's switches each read deactivated_at themselves.
    assert activity_rules_in(TREES[module]) == []


def test_the_activity_check_finds_the_rule():
    assert activity_rules_in(TREES["journal.people"])
    assert activity_rules_in(ast.parse('if row["deactivated_at"]:\n    pass')) == [1]
    assert activity_rules_in(ast.parse("x = row is None or patient.deactivated_at")) == [1]
    shown = 'x = local_time(a["deactivated_at"]) if a["deactivated_at"] else None'
    assert activity_rules_in(ast.parse(shown)) == []


# Clinical rules: each written in journal/rules.py alone

STATIC = PACKAGE.parent / "static"
SOURCES = (
    [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "rules.py"]
    + sorted(TEMPLATES.rglob("*.html"))
    + sorted(STATIC.rglob("*.js"))
)
# The safety item's rule, PHQ-9 item 9 above rules.SAFETY_ITEM_ABOVE, compared with a number:
# in SQL ("item9 > 0") or in Python ("answer > 0"). SQL takes the bound as a parameter.
SAFETY_RULE = re.compile(r"item9\s*(>=?|!=)\s*\d|answer\s*>=?\s*\d")


def safety_rules_in(text):
    return [m.group() for m in SAFETY_RULE.finditer(text)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_the_safety_item_rule_is_written_in_rules_alone(path):
    # PHQ-9 item 9 above 0 was written again as SQL in journal/data/ (the flags, the day's
    # check-ups) and in journal/instruments.py; rules.is_crisis_answer says it once.
    assert safety_rules_in(path.read_text(encoding="utf-8")) == []


# A length of time in a script (a day in milliseconds: "24 * 60 * 60 * 1000"): the journal
# renders the ones a script needs (drafts.js reads how long a draft lasts from the page).
SCRIPT_DURATION = re.compile(r"60\s*\*\s*60|\b(86400|864e5)")


@pytest.mark.parametrize("path", sorted(STATIC.rglob("*.js")), ids=lambda p: p.name)
def test_no_script_spells_a_length_of_time_the_journal_owns(path):
    assert SCRIPT_DURATION.findall(path.read_text(encoding="utf-8")) == []


def test_the_safety_item_check_finds_the_rule():
    assert safety_rules_in("return answer is not None and answer > 0") == ["answer > 0"]
    assert safety_rules_in("\"and kind = 'phq9' and item9 > 0\"") == ["item9 > 0"]


# Forms: the app's own messages, never the browser's


FORM = re.compile(r"<form\b([^>]*method=\"post\"[^>]*)>(.*?)</form>", re.S)
# What a person fills in: a field macro, a 0-10 scale, a question, or an input that shows.
FILLED_IN = re.compile(
    r"\{\{\s*(field|checkbox|scale|question)\(|<textarea|<select"
    r"|<input(?![^>]*type=\"(hidden|submit)\")"
)


def forms_to_fill_in(path):
    """The attributes of each POST form in the template `path` that has something to fill
    in (a search or a choice sent by GET saves nothing)."""
    return [attrs for attrs, body in FORM.findall(path.read_text()) if FILLED_IN.search(body)]


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=str)
def test_every_form_to_fill_in_leaves_checking_to_the_app(path):
    # An admin's reset-link form had no novalidate: an empty password got Chromium's own
    # bubble, not the app's message at the field.
    for attrs in forms_to_fill_in(path):
        assert "novalidate" in attrs, f"{path.name}: <form{attrs}>"


def test_the_form_check_finds_forms_to_fill_in():
    assert len([p for p in TEMPLATES.rglob("*.html") if forms_to_fill_in(p)]) >= 15
