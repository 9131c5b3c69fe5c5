"""A web app written the way Microsoft's Python web sample (ms-identity-python-webapp) does it:
the `identity` package's Flask `Auth`, `@auth.login_required`, filesystem sessions, and nothing
about resilience. The drill tests drill it to show what happens to such an app when B2C fails.

Settings come from the environment, as in the sample: AUTHORITY, CLIENT_ID, CLIENT_SECRET,
REDIRECT_URI; the sample's `.env` would hold them.
"""

import os

from flask import Flask, render_template
from identity.flask import Auth

app = Flask(__name__)
app.config.update(
    SESSION_TYPE="filesystem",  # as the sample: "So that the session can hold the token cache"
    SESSION_FILE_DIR=os.getenv("SESSION_FILE_DIR", "flask_session"),
)
auth = Auth(
    app,
    authority=os.getenv("AUTHORITY"),
    client_id=os.getenv("CLIENT_ID"),
    client_credential=os.getenv("CLIENT_SECRET"),
    redirect_uri=os.getenv("REDIRECT_URI"),
)


@app.route("/")
@auth.login_required
def index(*, context):
    return render_template("index.html", user=context["user"], title="Flask Web App Sample")
