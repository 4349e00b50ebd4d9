"""The peer-accompaniment portal: `create_app` builds it."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI, error pages."""
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from .config import load_config

    load_config(app, config)
    from .web import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its routes
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a TLS-terminating proxy: see the client's address and that the request was HTTPS,
        # or throttling keys on the proxy and CSRF's HTTPS referrer check never runs.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from .database import configure_engine
    from .extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.session_protection = None  # our own session token and lifetimes do this job
    with app.app_context():
        configure_engine(db.engine)

    from . import models  # noqa: F401  (every table registered before migrations look)
    from .accompaniment import bp as accompaniment_bp
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .clients import bp as clients_bp
    from .expenses import bp as expenses_bp
    from .geography import bp as geography_bp
    from .governance import bp as governance_bp
    from .home import bp as home_bp
    from .meetings import bp as meetings_bp
    from .messages import bp as messages_bp
    from .notify import bp as notify_bp
    from .reports import bp as reports_bp
    from .safety import bp as safety_bp
    from .system import bp as system_bp
    from .tasks import bp as tasks_bp
    from .volunteers import bp as volunteers_bp

    for blueprint in (
        auth_bp,
        home_bp,
        admin_bp,
        governance_bp,
        system_bp,
        meetings_bp,
        volunteers_bp,
        clients_bp,
        accompaniment_bp,
        notify_bp,
        reports_bp,
        safety_bp,
        geography_bp,
        messages_bp,
        tasks_bp,
        expenses_bp,
    ):
        app.register_blueprint(blueprint)

    from .access_log import init_access_log
    from .cli import register_cli
    from .notify.services import init_notify
    from .notify.texts import init_texts
    from .pages import init_pages
    from .security import init_security

    init_security(app)
    init_access_log(app)
    init_pages(app)
    init_notify(app)
    init_texts(app)
    register_cli(app)
    return app
