"""A bare Flask hello-world: the floor `/healthz` is measured against (bench_request_path.py)."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/healthz")
def healthz():
    return jsonify(status="ok")
