"""The local control plane's certificates, service-account keys and kubeconfigs.

A real cluster's trust set-up, made in-process with `cryptography` (no openssl, no cfssl): one
CA; a serving certificate for kube-apiserver valid for the loopback address, `localhost` and the
in-cluster names; client certificates whose subject *is* the identity RBAC sees (CN = user,
O = groups); and an RSA key pair that signs and verifies service-account tokens, so TokenRequest
and TokenReview behave as in production. Everything is created once per state directory and
reused, so kubeconfigs handed out earlier keep working across `down`/`up`.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["SERVICE_CIDR", "SERVICE_IP", "ClientIdentity", "Pki", "ensure", "write_kubeconfig"]

SERVICE_CIDR = "10.96.0.0/16"
"""ClusterIP range; its first address is the `kubernetes` Service, which the cert must cover."""
SERVICE_IP = "10.96.0.1"

_VALIDITY = datetime.timedelta(days=3650)
_SERVER_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


@dataclass(frozen=True)
class ClientIdentity:
    """Who a client certificate authenticates as."""

    file_stem: str
    user: str
    groups: tuple[str, ...] = ()


ADMIN = ClientIdentity("admin", "headwind-admin", ("system:masters",))
CONTROLLER_MANAGER = ClientIdentity("controller-manager", "system:kube-controller-manager")
SCHEDULER = ClientIdentity("scheduler", "system:kube-scheduler")
# kwok writes the status of every fake node and pod and deletes pods; a least-privilege role for
# a fake kubelet buys nothing in a throwaway local cluster.
KWOK = ClientIdentity("kwok", "kwok-controller", ("system:masters",))
# What the apiserver presents to aggregated API servers (the front proxy). Configuring it also
# fills `extension-apiserver-authentication`, without which controller-manager and scheduler
# log a missing request-header CA every minute.
FRONT_PROXY = ClientIdentity("front-proxy-client", "front-proxy-client")
CLIENTS = (ADMIN, CONTROLLER_MANAGER, SCHEDULER, KWOK, FRONT_PROXY)


@dataclass(frozen=True)
class Pki:
    """Paths of the generated files."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    @property
    def apiserver_cert(self) -> Path:
        return self.root / "apiserver.crt"

    @property
    def apiserver_key(self) -> Path:
        return self.root / "apiserver.key"

    @property
    def sa_key(self) -> Path:
        """Signs service-account tokens (apiserver and controller-manager)."""
        return self.root / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.root / "sa.pub"

    def client_cert(self, identity: ClientIdentity) -> Path:
        return self.root / f"{identity.file_stem}.crt"

    def client_key(self, identity: ClientIdentity) -> Path:
        return self.root / f"{identity.file_stem}.key"


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256: as good as RSA-2048 for this and generated in microseconds.
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str, organizations: tuple[str, ...] = ()) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # Backdated a little so a clock step right after `up` does not invalidate anything.
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + _VALIDITY)
    )


def _create_ca(pki: Pki) -> None:
    key = _new_key()
    name = _name("headwind-dev-ca")
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(pki.ca_key, key)
    pki.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _load_ca(pki: Pki) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{pki.ca_key} is not an EC key")
    return cert, key


def _issue(
    pki: Pki,
    cert_path: Path,
    key_path: Path,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    alt_names: list[x509.GeneralName] | None = None,
) -> None:
    ca_cert, ca_key = _load_ca(pki)
    key = _new_key()
    builder = (
        _builder(subject, ca_cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                key_cert_sign=False,
                crl_sign=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _create_service_account_keys(pki: Pki) -> None:
    # RSA: every consumer of service-account tokens (and of the OIDC discovery documents the
    # apiserver publishes) accepts RS256.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_key(pki.sa_key, key)
    pki.sa_pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def ensure(root: Path) -> Pki:
    """Creates whatever is missing under `root`; an existing CA is never replaced."""
    pki = Pki(root)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    if not (pki.ca_cert.is_file() and pki.ca_key.is_file()):
        # A new CA invalidates every certificate signed by an old one.
        for stale in root.glob("*.crt"):
            stale.unlink()
        _create_ca(pki)
    if not (pki.apiserver_cert.is_file() and pki.apiserver_key.is_file()):
        alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in _SERVER_NAMES]
        alt_names += [
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address(SERVICE_IP)),
        ]
        _issue(
            pki,
            pki.apiserver_cert,
            pki.apiserver_key,
            _name("kube-apiserver"),
            ExtendedKeyUsageOID.SERVER_AUTH,
            alt_names,
        )
    for identity in CLIENTS:
        if not (pki.client_cert(identity).is_file() and pki.client_key(identity).is_file()):
            _issue(
                pki,
                pki.client_cert(identity),
                pki.client_key(identity),
                _name(identity.user, identity.groups),
                ExtendedKeyUsageOID.CLIENT_AUTH,
            )
    if not (pki.sa_key.is_file() and pki.sa_pub.is_file()):
        _create_service_account_keys(pki)
    return pki


def write_kubeconfig(path: Path, server: str, pki: Pki, identity: ClientIdentity) -> None:
    """A self-contained kubeconfig (certificates embedded), so it can be copied anywhere."""

    def b64(file: Path) -> str:
        return base64.b64encode(file.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "headwind-dev",
                "cluster": {"server": server, "certificate-authority-data": b64(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": identity.user,
                "user": {
                    "client-certificate-data": b64(pki.client_cert(identity)),
                    "client-key-data": b64(pki.client_key(identity)),
                },
            }
        ],
        "contexts": [
            {"name": "headwind-dev", "context": {"cluster": "headwind-dev", "user": identity.user}}
        ],
        "current-context": "headwind-dev",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
