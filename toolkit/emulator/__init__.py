"""A local Azure AD B2C: OpenID Connect over HTTPS with B2C's URL layout, sign-in pages shaped
like B2C's self-asserted page, test users, and fault injection. Unmodified msal accepts it.

`toolkit.emulator.app.create_app` builds it; `b2c-toolkit emulator` serves it. This module stays
empty so that importing the CLI does not import Flask.
"""
