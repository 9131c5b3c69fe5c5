"""What the emulator keeps on disk, so a restart keeps certificates, keys, secrets, users and
therefore every issued token valid.

    DIR/ca.pem, ca-key.pem           local certificate authority (trust ca.pem in clients)
    DIR/server.pem, server-key.pem   TLS certificate for localhost and 127.0.0.1
    DIR/tenant.json                  tenant id, client id and secret, API app id, refresh-token key
    DIR/keys.json                    token signing keys (RS256), newest active, retired kept for a grace period
    DIR/users.json                   test users (created at first start, sign-ups appended)
    DIR/config.json                  what `--print-config` prints, written at each start (see `CONFIG_FILE`)

Only `config.json`, `ca.pem`, `server.pem` and `server-key.pem` are for others to read
(docs/emulator.md): the rest may change shape from one version to the next.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

#: the policy ids the emulator serves, by role
POLICIES = {
    "signup_signin": "B2C_1A_signup_signin",
    "edit_profile": "B2C_1A_ProfileEdit",
    "reset_password": "B2C_1A_PasswordReset",
    "ropc": "B2C_1A_ROPC_Auth",
}
API_SCOPE_NAME = "demo.read"
#: where a serving emulator writes its configuration, for an app to read (docs/emulator.md)
CONFIG_FILE = "config.json"


def _write(path: Path, data: bytes, private: bool = False) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    if private:
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _pem_key(key: Any) -> bytes:
    return bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def make_certificates(folder: Path) -> None:
    """A new local CA (`ca.pem`, `ca-key.pem`) and a server certificate it signs for `localhost`
    and 127.0.0.1 (`server.pem`, `server-key.pem`) in `folder`: the emulator's own, and the drill's
    for an app it serves over HTTPS against a real tenant."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "b2c-toolkit emulator local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(folder / "ca-key.pem", _pem_key(ca_key), private=True)
    _write(folder / "ca.pem", ca.public_bytes(serialization.Encoding.PEM))
    _write(folder / "server-key.pem", _pem_key(server_key), private=True)
    _write(folder / "server.pem", server.public_bytes(serialization.Encoding.PEM))


@dataclass
class SigningKey:
    """One RS256 token signing key."""

    kid: str
    pem: str
    created: float
    retired_at: float | None = None

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The loaded private key (cached per object)."""
        cached = self.__dict__.get("_key")
        if cached is None:
            loaded = serialization.load_pem_private_key(self.pem.encode(), password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey)
            cached = self.__dict__["_key"] = loaded
        assert isinstance(cached, rsa.RSAPrivateKey)
        return cached


def new_signing_key() -> SigningKey:
    """A fresh 2048-bit RSA key, the size B2C uses."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid=secrets.token_urlsafe(16), pem=_pem_key(key).decode(), created=time.time())


@dataclass
class User:
    """A local account."""

    oid: str
    email: str
    password: str
    name: str

    def public(self) -> dict[str, str]:
        """What the emulator's configuration shows (`--print-config`)."""
        return {"username": self.email, "password": self.password}


@dataclass
class Tenant:
    """Tenant-wide settings."""

    name: str  #: e.g. contoso
    tenant_id: str
    client_id: str
    client_secret: str
    api_app_id: str
    refresh_key: str  #: HMAC key for refresh tokens
    #: a second app registration: a daemon granted the API's app role (client credentials only)
    daemon_client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    daemon_client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def domain(self) -> str:
        """`contoso.onmicrosoft.com`."""
        return f"{self.name}.onmicrosoft.com"


@dataclass(frozen=True)
class App:
    """An app registration that may ask the token endpoint for tokens."""

    client_id: str
    secret: str
    roles: tuple[str, ...]  #: app roles granted to it (they appear in its app-only tokens)
    signs_in_users: bool  #: a web app (redirect URIs, user flows) rather than a daemon

    @property
    def service_principal(self) -> str:
        """The object id of its service principal: `oid` and `sub` of its app-only tokens."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{self.client_id}"))


@dataclass
class State:
    """The emulator's persistent state in one folder."""

    directory: Path
    tenant: Tenant
    keys: list[SigningKey]
    users: list[User]
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ca_bundle(self) -> Path:
        """The CA certificate clients trust."""
        return self.directory / "ca.pem"

    @property
    def active_key(self) -> SigningKey:
        """The key new tokens are signed with."""
        return self.keys[-1]

    def published_keys(self, now: float | None = None) -> list[SigningKey]:
        """Keys in the JWKS: the active one and retired ones still within their grace period."""
        now = time.time() if now is None else now
        return [k for k in self.keys if k.retired_at is None or k.retired_at > now]

    def rotate_keys(self, grace_s: float) -> SigningKey:
        """Start signing with a new key; the old one stays published for `grace_s` seconds."""
        if not 0 <= grace_s < float("inf"):  # NaN or a negative would drop the old key at once
            raise ValueError(f"grace_s must be a finite number >= 0, not {grace_s!r}")
        new = new_signing_key()
        with self.lock:
            for k in self.keys:
                if k.retired_at is None:
                    k.retired_at = time.time() + grace_s
            self.keys = [*self.published_keys(), new]
            self._save_keys()
        return new

    def app(self, client_id: str, daemon_role: str) -> App | None:
        """The registration of `client_id`: the web app (no app roles) or the daemon (`daemon_role`)."""
        t = self.tenant
        if client_id == t.client_id:
            return App(t.client_id, t.client_secret, (), True)
        if client_id == t.daemon_client_id:
            return App(t.daemon_client_id, t.daemon_client_secret, (daemon_role,), False)
        return None

    def find_user(self, email: str) -> User | None:
        """A user by email, case-insensitively."""
        email = email.strip().casefold()
        return next((u for u in self.users if u.email.casefold() == email), None)

    def user_by_oid(self, oid: str) -> User | None:
        """A user by object id."""
        return next((u for u in self.users if u.oid == oid), None)

    def add_user(self, email: str, password: str, name: str) -> User:
        """Sign a new local account up and persist it."""
        user = User(str(uuid.uuid4()), email.strip(), password, name.strip() or email.split("@")[0])
        with self.lock:
            self.users.append(user)
            self.save_users()
        return user

    def save_users(self) -> None:
        """Persist users (after sign-up, profile edit or password reset)."""
        _write(self.directory / "users.json", json.dumps([asdict(u) for u in self.users], indent=1).encode(), private=True)

    def _save_keys(self) -> None:
        _write(self.directory / "keys.json", json.dumps([asdict(k) for k in self.keys], allow_nan=False).encode(), private=True)


def write_config(directory: Path, config: dict[str, Any]) -> None:
    """Write the configuration an app reads (`CONFIG_FILE`): private, as it holds secrets."""
    _write(directory / CONFIG_FILE, json.dumps(config, indent=2).encode(), private=True)


def load_state(directory: str | os.PathLike[str], tenant: str = "contoso", users: int = 5) -> State:
    """Load the state folder, creating whatever is missing (certificates, keys, tenant, users)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    if not (path / "ca.pem").exists() or not (path / "server.pem").exists():
        make_certificates(path)
    tenant_file = path / "tenant.json"
    if tenant_file.exists():
        saved = json.loads(tenant_file.read_text())
        info = Tenant(**saved)
        if set(asdict(info)) - set(saved):  # a state folder from before a registration was added
            _write(tenant_file, json.dumps(asdict(info), indent=1).encode(), private=True)
    else:
        info = Tenant(tenant, str(uuid.uuid4()), str(uuid.uuid4()), secrets.token_urlsafe(32), str(uuid.uuid4()), secrets.token_urlsafe(32))
        _write(tenant_file, json.dumps(asdict(info), indent=1).encode(), private=True)
    keys_file = path / "keys.json"
    keys = [SigningKey(**k) for k in json.loads(keys_file.read_text())] if keys_file.exists() else []
    users_file = path / "users.json"
    people = [User(**u) for u in json.loads(users_file.read_text())] if users_file.exists() else []
    state = State(path, info, keys, people)
    if not state.published_keys():
        state.keys = [*state.keys, new_signing_key()]
        state._save_keys()
    if len(state.users) < users:
        for i in range(len(state.users) + 1, users + 1):
            state.users.append(User(str(uuid.uuid4()), f"user{i}@{info.domain}", secrets.token_urlsafe(12), f"Test User {i}"))
        state.save_users()
    return state
