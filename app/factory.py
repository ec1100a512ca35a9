"""create_app(): the one place that names the domain packages and their blueprints."""
from pathlib import Path

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

import checkin.api
import checkin.models  # noqa: F401
import checkin.pages
import checkin.personal_data  # noqa: F401 - each package registers its part of a visitor's data (app/personal_data.py)
import checkin.team_phones  # noqa: F401 - the phones a member paired, for the team's page and removal
import events.api
import events.demo.cli
import events.models  # noqa: F401 - every table in the metadata for Alembic
import events.pages
import feeds.models  # noqa: F401
import feeds.pages
import feeds.personal_data  # noqa: F401
import mail.metrics  # noqa: F401 - each package registers its figures for /metrics (app/metrics.py)
import mail.models  # noqa: F401
import mail.pages
import mail.personal_data  # noqa: F401
import registrations.api
import registrations.metrics  # noqa: F401
import registrations.models  # noqa: F401
import registrations.personal_data  # noqa: F401
import registrations.pages
import reports.api
import reports.metrics  # noqa: F401
import reports.models  # noqa: F401
import reports.pages
import teams.api
import teams.models  # noqa: F401
import teams.pages
import workers.cli
import workers.dispatch
import workers.pages
import workers.retention
import webhooks.api
import webhooks.models  # noqa: F401
import webhooks.pages
import webhooks.personal_data  # noqa: F401
from webhooks.services.endpoints import wants as webhook_wants
from app import access, audit, audit_views, cli, health, i18n, limit_store, limits, login, outbox, relay  # noqa: F401 - outbox and audit tables
from app import files, logs, metrics  # noqa: F401 - the stored_files table
from app import input_guard
from app.auth import ConsoleSessionInterface, current_principal
from app.conditional import declared_cache_control
from app.config import INSTANCE_DIR, from_environment
from app.database import db
from app.errors import register_error_handlers
from app.extensions import api, babel, csrf, limiter, login_manager, migrate
from app.users import user_for_session
from teams.services import members as team_members

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_DIRS = [ROOT / name for name in
               ("app", "events", "teams", "registrations", "checkin", "reports", "feeds", "mail", "workers", "webhooks")]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes draw bar widths and colours; no inline scripts are allowed.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


def _engine_options(config):
    options = {"pool_pre_ping": True}
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///:memory:"):
        options.update(
            pool_size=config["DB_POOL_SIZE"],
            max_overflow=config["DB_MAX_OVERFLOW"],
            pool_timeout=config.get("DB_POOL_TIMEOUT", 2.0),
        )
    return options


def _trust_proxies(app):
    """Behind TRUSTED_PROXIES reverse proxies, the visitor's address (rate limits, audit log)
    and scheme (secure links) come from the X-Forwarded-* headers those proxies set."""
    hops = app.config.get("TRUSTED_PROXIES") or 0
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def create_app(test_config=None):
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    # Thai text as UTF-8 rather than \uXXXX escapes: a Thai programme in JSON is half the bytes.
    app.json.ensure_ascii = False
    app.session_interface = ConsoleSessionInterface()
    app.config.update(from_environment())
    app.config.update(
        API_TITLE="Thetsakan",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LOCALE,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_ENABLED=True,
        # A limit means what it says at any instant: a fixed window lets twice the allowance
        # through across a minute boundary (ten guesses at 12:00:59, ten more at 12:01:00).
        RATELIMIT_STRATEGY="moving-window",
    )
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config))
    app.config.setdefault("RATELIMIT_STORAGE_URI", limit_store.storage_uri(app.config.get("REDIS_URL")))
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    _trust_proxies(app)

    translation_dirs = i18n.translation_directories(app, DOMAIN_DIRS)
    i18n.compile_catalogues(translation_dirs)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "login.login"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, default_translation_directories=";".join(translation_dirs))
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})

    register_error_handlers(app)
    # The request id and the clock start before anything can refuse the request.
    logs.install(app)
    metrics.install(app)
    # Who may call comes first (anonymous callers learn nothing about bodies), then hostile input.
    app.before_request(access.enforce)
    input_guard.install(app)
    relay.install(quiet_topics=[topic for topic, jobs in workers.dispatch.TOPICS.items() if not jobs])
    # scan.admitted has no reader but partners: checkin emits it only where an endpoint listens.
    outbox.read_by("scan.admitted", webhook_wants)
    i18n.install_filters(app)
    _register_blueprints(app)
    limits.apply_limits(app)
    cli.register_commands(app)
    app.cli.add_command(events.demo.cli.demo_cli)
    workers.cli.register_commands(app)
    app.cli.add_command(workers.retention.privacy_cli)

    login_manager.user_loader(user_for_session)
    team_members.install(app)

    @app.context_processor
    def principal():
        return {"principal": current_principal()}

    @app.after_request
    def headers(response):
        response = i18n.remember_locale(response)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=()")
        if app.config["PRODUCTION"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        cache_control = declared_cache_control(app.view_functions.get(request.endpoint))
        if cache_control:  # declared by the view (app.conditional.no_store, app.auth.visitor)
            response.headers.setdefault("Cache-Control", cache_control)
        return response

    @app.teardown_request
    def forget_principal(_exc):
        g.pop("principal", None)

    return app


def _register_blueprints(app):
    for module in (events.api, teams.api, registrations.api, checkin.api, reports.api, webhooks.api):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
        csrf.exempt(module.blp)  # bearer tokens and secret URLs, never cookies
    api.register_blueprint(audit_views.blp, url_prefix="/api/v1")
    csrf.exempt(audit_views.blp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(login.bp)
    for module in (events.pages, teams.pages, registrations.pages, checkin.pages, reports.pages, feeds.pages,
                   mail.pages, workers.pages, webhooks.pages):
        app.register_blueprint(module.bp)
