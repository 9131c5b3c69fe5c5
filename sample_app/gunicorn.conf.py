"""Production gunicorn settings for the reference app (override with environment variables).

gunicorn -c sample_app/gunicorn.conf.py "sample_app:create_app()"
"""

import multiprocessing
import os
import sys

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", 8))
# admission control: two threads stay free to refuse quickly and to answer /healthz and /readyz
os.environ.setdefault("MAX_CONCURRENT_REQUESTS", str(max(1, threads - 2)))
# IdP calls have their own short timeouts; this only catches a stuck worker.
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
certfile = os.environ.get("TLS_CERT") or None
keyfile = os.environ.get("TLS_KEY") or None
# gunicorn trusts no forwarded header: the app does, from TRUSTED_PROXIES proxies (ProxyFix)
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
# Path only, never the query string: the callback's query carries the authorization code.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

# A production start needs a secret key: one shared by every instance (SECRET_KEY), or one made per
# deployment and kept in its instance folder (SECRET_KEY=generate). Never one from the repository.
if not os.environ.get("SECRET_KEY"):
    sys.exit(
        "SECRET_KEY is not set: set it to a long random value shared by every instance, or to 'generate' to keep one made for this deployment in instance/secret_key"
    )
# redirect_uri and other absolute URLs come from configuration, never from the Host header
if ":" in bind and not bind.startswith(("unix:", "fd:")):
    os.environ.setdefault("APP_PUBLIC_URL", f"{'https' if certfile else 'http'}://{bind}")
