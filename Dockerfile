# The reference app (sample_app/) as a container image, run by gunicorn with sample_app/gunicorn.conf.py.
#
#   docker build -t b2c-refapp .          (podman: podman build --format docker -t b2c-refapp .)
#   docker run -p 127.0.0.1:8000:8000 -e SECRET_KEY=... -e APP_PUBLIC_URL=https://app.contoso.com ... b2c-refapp
#
# Settings: the environment variables of the app's settings table (sample_app/config.py SETTINGS,
# docs/reference-app.md), and gunicorn's BIND, WEB_CONCURRENCY, THREADS, ACCESS_LOG, TLS_CERT and TLS_KEY
# (sample_app/gunicorn.conf.py). The image sets only BIND; SECRET_KEY and APP_PUBLIC_URL are the deployment's.
# The same image runs the emulator: `python3 -m toolkit emulator --host 0.0.0.0` (compose.yaml does).
#
# BASE_IMAGE: any image with Python 3.11+ and `python3 -m venv` (the tests build a Debian one with
# debootstrap where no registry is reachable). Podman keeps the HEALTHCHECK with --format docker only.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
# Behind a TLS-inspecting proxy or with a package mirror: PIP_CERT (a CA file the build can read, e.g. mounted
# with podman build -v) and PIP_INDEX_URL. They stay in this stage: the image does not carry them.
ARG PIP_CERT PIP_INDEX_URL
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The dependencies of the app and the emulator, as pyproject.toml lists them, go into /opt/venv (a layer that a
# code change does not rebuild). The code is copied on its own, so that Flask's instance folder is /app/instance.
COPY pyproject.toml /src/
RUN python3 -c "import tomllib; p = tomllib.load(open('/src/pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['app'] + p['optional-dependencies']['emulator']))" > /src/requirements.txt \
    && python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install -r /src/requirements.txt \
    && /opt/venv/bin/pip uninstall -y pip setuptools \
    && rm -rf /opt/venv/lib/python3*/site-packages/*/tests

FROM ${BASE_IMAGE}
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/instance /app/.b2c-emulator \
    && chown app:app /app/instance /app/.b2c-emulator
COPY --from=build /opt/venv /opt/venv
COPY toolkit /app/toolkit
COPY sample_app /app/sample_app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BIND=0.0.0.0:8000
# instance/: sessions (without REDIS_URL), the last-known-good metadata and keys, secret_key (SECRET_KEY=generate)
VOLUME ["/app/instance"]
USER app
EXPOSE 8000
# The probe asks this container's own gunicorn: https when TLS_CERT is set (its own certificate, not verified).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["python3", "-c", "import os, ssl, sys, urllib.request; tls = bool(os.environ.get('TLS_CERT')); port = os.environ.get('BIND', ':8000').rsplit(':', 1)[1]; url = ('https' if tls else 'http') + '://127.0.0.1:' + port + '/healthz'; sys.exit(urllib.request.urlopen(url, timeout=4, context=ssl._create_unverified_context() if tls else None).status != 200)"]
# no control socket: gunicornc is not in the image, and the home folder is read-only
CMD ["gunicorn", "-c", "sample_app/gunicorn.conf.py", "--no-control-socket", "sample_app:create_app()"]
