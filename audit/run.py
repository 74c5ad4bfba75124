"""`make audit`: Lighthouse (mobile) over the main pages of a seeded server, signed in.

    .venv/bin/python audit/run.py [--out DIR] [PATH ...]

Seeds a fresh database with `flask --app journal seed-demo`, serves it with gunicorn (the
repository's gunicorn.conf.py) on a free loopback port, logs in as the demo patient through
the real form, and runs the Lighthouse installed in audit/node_modules against Debian's
Chromium, sending the session cookie with every request. "/" is audited signed out: signed
in, it only redirects to /checkin. Prints a table of scores and, for any page under 95 in a
category, what Lighthouse found wrong. The JSON reports are kept in --out.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

AUDIT = Path(__file__).resolve().parent
ROOT = AUDIT.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from harness import Client, gunicorn, log_in  # noqa: E402 (benchmarks/ is not a package)

from journal.demo import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402

PAGES = ["/", "/checkin", "/entries", "/progress", "/sessions", "/assessments", "/settings"]
SIGNED_OUT = {"/"}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
AIM = 95
SKIP_MODES = {"notApplicable", "manual", "informative", "error"}
LIGHTHOUSE = AUDIT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def seed(database):
    """A fresh database with the demo patient."""
    env = {**os.environ, "JOURNAL_DATABASE": str(database), "JOURNAL_SECRET_KEY": "benchmark"}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "journal", "seed-demo"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def lighthouse(url, cookie, report):
    """Run Lighthouse on `url`; return its JSON report."""
    command = [
        str(LIGHTHOUSE), url,
        "--quiet", "--output=json", f"--output-path={report}",
        "--form-factor=mobile",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
    ]  # fmt: skip
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(command, env=env, check=True, timeout=300)  # noqa: S603 (our own paths)
    return json.loads(report.read_text())


def problems(result):
    """What costs points, in each category under the aim: (category, audit title, detail)."""
    found = []
    for name in CATEGORIES:
        category = result["categories"][name]
        if category["score"] is None or category["score"] * 100 >= AIM:
            continue
        for ref in category["auditRefs"]:
            audit = result["audits"][ref["id"]]
            if audit.get("scoreDisplayMode") in SKIP_MODES or audit.get("score") is None:
                continue
            if audit["score"] < 0.9:
                found.append((name, audit["title"], detail(audit)))
    return found


def detail(audit):
    """A short description of where an audit failed: its value and a few elements or URLs."""
    parts = [audit["displayValue"]] if audit.get("displayValue") else []
    items = (audit.get("details") or {}).get("items")
    for item in items[:4] if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        node = item.get("node") or {}
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        where = node.get("selector") or item.get("url") or source.get("url")
        what = item.get("description") or node.get("explanation", "").split("\n")[-1]
        if where:
            parts.append(" — ".join(str(p) for p in (where, what) if p)[:200])
    return "; ".join(p for p in parts if p)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=PAGES)
    parser.add_argument("--out", type=Path, help="where to keep the JSON reports")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: run `make audit` (npm ci in audit/).")

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-audit-"))
    out = args.out or workdir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    database = workdir / "audit.sqlite3"
    seed(database)
    results = {}
    with gunicorn(database) as (port, _):
        client = Client(port)
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        for path in args.paths:
            name = path.strip("/").replace("/", "-") or "home"
            print(f"Lighthouse: {path}", file=sys.stderr, flush=True)
            results[path] = lighthouse(
                f"http://127.0.0.1:{port}{path}",
                None if path in SIGNED_OUT else cookie,
                out / f"{name}.json",
            )

    header = f"{'page':<14}" + "".join(f"{c:>16}" for c in CATEGORIES)
    print(f"\nLighthouse {next(iter(results.values()))['lighthouseVersion']}, mobile")
    print(header)
    for path, result in results.items():
        scores = [result["categories"][c]["score"] for c in CATEGORIES]
        cells = "".join(f"{'-' if s is None else round(s * 100):>16}" for s in scores)
        print(f"{path + (' (out)' if path in SIGNED_OUT else ''):<14}{cells}")
    for path, result in results.items():
        found = problems(result)
        if found:
            print(f"\n{path}: under {AIM}")
            for category, title, what in found:
                print(f"  [{category}] {title}" + (f": {what}" if what else ""))
    print(f"\nReports: {out}")


if __name__ == "__main__":
    main()
