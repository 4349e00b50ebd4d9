"""The throughput floor: a bare Flask app rendering a tiny Jinja template, nothing else.

bench/throughput.py serves it with gunicorn exactly as it serves the portal (same configuration,
2 sync workers) and reports each portal page's requests per second as a ratio to this page's.
By hand: .venv/bin/gunicorn -c gunicorn.conf.py --chdir bench floor_app:app
"""

from __future__ import annotations

from flask import Flask, render_template
from jinja2 import DictLoader

app = Flask(__name__)
app.jinja_loader = DictLoader(
    {
        "hello.html": (
            "<!doctype html><html lang=en><head><title>{{ title }}</title></head>"
            "<body><h1>{{ title }}</h1><p>Hello, {{ name }}.</p></body></html>"
        )
    }
)


@app.route("/")
def hello() -> str:
    return render_template("hello.html", title="Floor", name="world")
