"""The resilient Flask reference app: sign-in through Azure AD B2C that keeps working, or
degrades gracefully, when B2C is slow, throttling or down, without trading away security.

    flask --app sample_app run            # development, against `b2c-toolkit emulator`
    gunicorn -c sample_app/gunicorn.conf.py "sample_app:create_app()"
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


def _secret_key(instance: Path) -> str:
    """A random key made once for this deployment and kept in its instance folder (which is never
    committed); created atomically, so workers starting together agree on one."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        tmp = instance / f".secret_key.{os.getpid()}"
        tmp.write_text(secrets.token_urlsafe(48))
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # fails if another worker made it first: use theirs
        tmp.unlink()
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the reference app."""
    from sample_app.config import load_settings, remembered_base_url

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_settings())
    if config:
        app.config.update(config)
    from sample_app import sessions

    instance = Path(app.instance_path)
    if app.config["SECRET_KEY"] in ("", "generate"):  # gunicorn.conf.py refuses "" in production
        app.config["SECRET_KEY"] = _secret_key(instance)
    app.config["IDP_CACHE_DIR"] = app.config["IDP_CACHE_DIR"] or str(instance / "idp-cache")
    app.config["B2C_BASE_URL"] = remembered_base_url(app.config["IDP_CACHE_DIR"], app.config["B2C_BASE_URL"])
    app.config.update(
        SESSION_COOKIE_NAME="__Host-refapp",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=app.config["SESSION_LIFETIME_S"]),
        PREFERRED_URL_SCHEME="https",
        # the app takes small forms only (sign-out's CSRF token; a callback's code or error)
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    sessions.init_app(app)
    if app.config["TRUSTED_PROXIES"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    from sample_app import admission, api, auth, logs, ops, pages, security
    from sample_app.idp import Idp

    logs.init_app(app)
    security.init_app(app)
    Idp(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ops.bp)
    _error_pages(app)
    admission.init_app(app)  # outermost: a refusal costs nothing else
    return app


def _error_pages(app: Flask) -> None:
    """Friendly pages for every error: a traceback never reaches a user. A session store that does
    not answer, or cannot be written, is a 503 with Retry-After, not a 500: the sessions are intact,
    and a user who tries again once it answers is still signed in."""
    from flask import Response, g, make_response, render_template
    from werkzeug.exceptions import HTTPException

    from sample_app.sessions import STORE_RETRY_AFTER_S
    from sample_app.sessions import store_errors as errors_of

    store_errors = errors_of(app)

    def store_unavailable(exc: Exception) -> Response:
        g.store_down = True
        app.logger.warning("session store unavailable: %s", exc, extra={"event": "session_store_unavailable"})
        message = "We cannot reach our session store for a moment. Nothing is wrong with your account: please try again shortly."
        # store_down: the page must not read the session, which is what failed
        response = make_response(render_template("error.html", message=message, code="503", store_down=True), 503)
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
        return response

    for error in store_errors:  # raised in a view (the token cache lives in the session)
        app.register_error_handler(error, store_unavailable)

    log_exception = app.log_exception

    def log_unless_handled(exc_info: Any) -> None:
        # Flask logs an error with its traceback for anything raised opening or saving the
        # session, before the handler below answers it with a 503: a store error is handled
        if not isinstance(exc_info[1], store_errors):
            log_exception(exc_info)

    app.log_exception = log_unless_handled  # type: ignore[method-assign]

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | tuple[str, int]:
        original = getattr(exc, "original_exception", None)
        if isinstance(original, store_errors):  # raised opening the session, before any view ran
            return store_unavailable(original)
        return render_template("error.html", message=exc.description, code=str(exc.code)), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        app.logger.exception("unexpected error")
        return render_template("error.html", message="Something went wrong on our side. Please try again.", code="500"), 500
