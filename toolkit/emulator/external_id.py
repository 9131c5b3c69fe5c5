"""External ID's URL layout over the same endpoints as B2C's (`--flavor external-id`).

An external tenant links each app to one user flow, so no URL names a policy:

    GET  /{tenant}/v2.0/.well-known/openid-configuration   tenant = NAME.onmicrosoft.com or the tenant id
    GET  /{tenant}/discovery/v2.0/keys
    GET  /{tenant}/oauth2/v2.0/authorize
    POST /{tenant}/oauth2/v2.0/token
    GET  /{tenant}/oauth2/v2.0/logout

The sign-in/sign-up page is the emulator's own (it carries the same `SETTINGS` block as the B2C
flavor's page, so `toolkit.flows` drives both); its calls live under `/{tenant}/{user flow}/`.
"""

from __future__ import annotations

from flask import Blueprint

from toolkit.emulator import journeys, oidc
from toolkit.emulator.flavors import ExternalId

bp = Blueprint("external_id", __name__)
USER_FLOW = ExternalId().policies["signup_signin"]
_flow = {"policy": USER_FLOW}

bp.add_url_rule("/<tenant>/v2.0/.well-known/openid-configuration", view_func=oidc.discovery, defaults=_flow)
bp.add_url_rule("/<tenant>/.well-known/openid-configuration", endpoint="discovery_v1", view_func=oidc.discovery, defaults=_flow)
bp.add_url_rule("/<tenant>/discovery/v2.0/keys", view_func=oidc.keys, defaults=_flow)
bp.add_url_rule("/<tenant>/oauth2/v2.0/token", view_func=oidc.token, defaults=_flow, methods=["POST"])
bp.add_url_rule("/<tenant>/oauth2/v2.0/logout", view_func=oidc.logout, defaults=_flow)
bp.add_url_rule("/<tenant>/oauth2/v2.0/authorize", view_func=journeys.authorize, defaults=_flow)
# the page's own calls: the same handlers as the B2C flavor's page
bp.add_url_rule("/<tenant>/<policy>/SelfAsserted", view_func=journeys.self_asserted, methods=["POST"])
bp.add_url_rule("/<tenant>/<policy>/api/<api>/confirmed", view_func=journeys.confirmed)
bp.add_url_rule("/<tenant>/<policy>/api/<api>/unified", view_func=journeys.unified)
bp.add_url_rule("/<tenant>/<policy>/api/<api>/cancel", view_func=journeys.cancel)
