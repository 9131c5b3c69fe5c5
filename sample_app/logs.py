"""Structured logs: one JSON object per line, with the request id and, for IdP errors, B2C's
correlation id. Tokens, codes and secrets are never logged."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from flask import Flask, Response, g, has_request_context, request

CORRELATION = re.compile(r"Correlation ID: ([0-9a-fA-F-]{16,})")


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", "request_id", ...}` per record, with `exc` (the
    traceback) when the record carries an exception: a 500 must be traceable from the log."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        if has_request_context():
            data["request_id"] = getattr(g, "request_id", None)
        for key in ("correlation_id", "event", "status", "path"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data)


def correlation_id(text: str | None) -> str | None:
    """B2C's correlation id from an error description, if any."""
    m = CORRELATION.search(text or "")
    return m.group(1) if m else None


def init_app(app: Flask) -> None:
    """Request ids in and out, JSON logging for the app's loggers."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("sample_app", "toolkit.resilience"):
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

    @app.before_request
    def request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if re.fullmatch(r"[\w.-]{1,64}", incoming) else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        return response
