"""Production gunicorn settings for the reference app (override with environment variables).

gunicorn -c sample_app/gunicorn.conf.py "sample_app:create_app()"
"""

import multiprocessing
import os

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
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Path only, never the query string: the callback's query carries the authorization code.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
