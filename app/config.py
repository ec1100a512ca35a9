"""Configuration from the environment. Every variable here is listed in README.md."""
import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))


class ConfigError(RuntimeError):
    """Start-up refused because a setting is missing or wrong."""


def _bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _count(name, default=0):
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number (the reverse proxies in front of the app), not {raw!r}.")
    return int(raw)


def from_environment():
    """Read settings once, at start-up. Defaults give a working development app."""
    env = os.environ.get("THETSAKAN_ENV", os.environ.get("FLASK_ENV", "development"))
    production = env == "production"
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. In production it must be a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        secret = _development_secret()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'thetsakan.sqlite3'}"
    if production and database_url.startswith("sqlite"):
        # SQLite is the zero-set-up default; production traffic needs PostgreSQL's row locks.
        if not _bool("ALLOW_SQLITE_IN_PRODUCTION"):
            raise ConfigError("DATABASE_URL must point at PostgreSQL in production.")
    port = int(os.environ.get("PORT", "5000"))
    return {
        "ENV_NAME": env,
        "PRODUCTION": production,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "PORT": port,
        "PUBLIC_URL": (os.environ.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_USER": os.environ.get("SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", False),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Thetsakan <no-reply@thetsakan.local>"),
        "MAILDIR": os.environ.get("MAILDIR") or str(INSTANCE_DIR / "maildir"),
        "DEV_MAILBOX": _bool("DEV_MAILBOX", not production),
        "PERSONAL_DATA_RETENTION_DAYS": int(os.environ.get("PERSONAL_DATA_RETENTION_DAYS", "365")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        # Connections per process: at least the number of threads that serve requests.
        "DB_POOL_SIZE": int(os.environ.get("DB_POOL_SIZE", "10")),
        "DB_MAX_OVERFLOW": int(os.environ.get("DB_MAX_OVERFLOW", "20")),
        # Seconds a request waits for a pooled connection before it answers 503 busy
        # (SQLAlchemy's default, 30, held the visitor half a minute for the same answer).
        "DB_POOL_TIMEOUT": float(os.environ.get("DB_POOL_TIMEOUT", "2")),
        # Reverse proxies in front of the app whose X-Forwarded-* headers we believe. 0 (the
        # default) believes none: on the open internet anyone could choose their own address.
        "TRUSTED_PROXIES": _count("TRUSTED_PROXIES"),
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "INSTANCE_DIR": str(INSTANCE_DIR),
        # Webhooks (docs/webhooks.md): endpoints on loopback or private networks only in development and tests.
        "WEBHOOKS_ALLOW_PRIVATE": _bool("WEBHOOKS_ALLOW_PRIVATE", False),
        "WEBHOOKS_TIMEOUT": float(os.environ.get("WEBHOOKS_TIMEOUT") or 5),
        "WEBHOOKS_CONCURRENCY": int(os.environ.get("WEBHOOKS_CONCURRENCY") or 8),
    }


def _development_secret():
    # A per-checkout secret kept under instance/, so that sessions and signed
    # links survive restarts in development without anyone choosing a value.
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
