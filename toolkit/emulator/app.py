"""The emulator application: an app factory and the shared `Emulator` object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask

from toolkit.emulator.faults import FaultBook, FaultMiddleware
from toolkit.emulator.flavors import Flavor
from toolkit.emulator.journeys import Transactions
from toolkit.emulator.state import State
from toolkit.emulator.tokens import Lifetimes, TokenService

if TYPE_CHECKING:
    from toolkit.emulator.graph import GraphTenant

#: the URL of an emulator started with the CLI's defaults
DEFAULT_URL = "https://127.0.0.1:8443"


@dataclass
class Emulator:
    """Everything one running emulator holds, shared by its blueprints (`app.extensions`)."""

    state: State
    tokens: TokenService
    faults: FaultBook
    #: extra redirect URIs accepted besides loopback ones
    redirect_uris: list[str] = field(default_factory=list)
    transactions: Transactions = field(default_factory=lambda: Transactions())
    #: the emulator's own URL, named in its metadata and tokens (as B2C names its own host; the
    #: request's Host header is never used, so a client cannot choose the endpoints others see)
    base_url: str = DEFAULT_URL

    @property
    def host(self) -> str:
        """`127.0.0.1:8443`: the host and port of `base_url`."""
        return urlsplit(self.base_url).netloc

    @property
    def flavor(self) -> Flavor:
        """B2C or External ID."""
        return self.tokens.flavor

    def policy(self, name: str) -> str | None:
        """The canonical spelling of a served policy id (B2C matches them case-insensitively)."""
        return next((p for p in self.flavor.policies.values() if p.casefold() == name.casefold()), None)

    def role(self, policy: str) -> str:
        """signup_signin, edit_profile, reset_password or ropc."""
        return next(role for role, p in self.flavor.policies.items() if p == policy)


def create_app(
    state: State,
    lifetimes: Lifetimes | None = None,
    seed: int | None = None,
    redirect_uris: list[str] | None = None,
    flavor: Flavor | None = None,
    base_url: str = DEFAULT_URL,
    graph_tenant: GraphTenant | None = None,
) -> Flask:
    """Create the emulator's Flask app, wrapped in the fault middleware; with `graph_tenant`, it
    also serves Microsoft Graph for that seeded tenant (see `toolkit.emulator.graph`)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    flavor = flavor or Flavor()
    emulator = Emulator(
        state,
        TokenService(state, lifetimes, flavor),
        FaultBook(seed, rotate_keys=state.rotate_keys, flavor=flavor),
        list(redirect_uris or []),
        base_url=base_url.rstrip("/"),
    )
    app.extensions["b2c_emulator"] = emulator

    from toolkit.emulator import admin, external_id, journeys, oidc

    if flavor.name == "external-id":
        app.register_blueprint(external_id.bp)
    else:
        app.register_blueprint(oidc.bp)
        app.register_blueprint(journeys.bp)
    app.register_blueprint(admin.bp)
    if graph_tenant is not None:
        from toolkit.emulator import graph

        graph.register(app, emulator, graph_tenant)
    app.context_processor(lambda: {"flavor": flavor})

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    app.wsgi_app = FaultMiddleware(app.wsgi_app, emulator.faults)  # type: ignore[method-assign]
    return app
