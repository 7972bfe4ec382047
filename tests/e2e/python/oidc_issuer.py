"""A throw-away OpenID Connect issuer for the web identity tests.

It listens on loopback (plain HTTP, or HTTPS with its own self-signed certificate), serves a discovery
document (`/.well-known/openid-configuration`) and a JWKS (`/jwks`) with its own RSA and EC keys, and
mints ID tokens signed with them: RS256 and ES256, or — for the attacks — alg=none, HS256 with the RSA
public key as the HMAC secret, a key it never published, a forged signature. It counts the requests it
serves, so a test can see when the server fetched keys. Needs the `cryptography` package (pip, or
Debian's python3-cryptography).
"""

import base64
import datetime
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import socket
import ssl
import tempfile
import threading
import time
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

# The audience a Kubernetes service-account token is projected with for Strongroom (any string works; this is
# what AWS's pod identity webhook uses).
AUDIENCE = "sts.amazonaws.com"
TAGS_CLAIM = "https://aws.amazon.com/tags"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


class SigningKey:
    """One key of the issuer: kind "rsa" (RS256) or "ec" (ES256), with its kid."""

    def __init__(self, kind, kid=None):
        self.kind = kind
        self.kid = kid or "%s-%s" % (kind, uuid.uuid4().hex[:8])
        if kind == "rsa":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.alg = "RS256"
        elif kind == "ec":
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"
        else:
            raise ValueError(kind)

    def jwk(self):
        public = self.private.public_key().public_numbers()
        if self.kind == "rsa":
            return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": self.alg,
                    "n": b64url(_int_bytes(public.n)), "e": b64url(_int_bytes(public.e))}
        return {"kty": "EC", "kid": self.kid, "use": "sig", "alg": self.alg, "crv": "P-256",
                "x": b64url(_int_bytes(public.x, 32)), "y": b64url(_int_bytes(public.y, 32))}

    def public_pem(self):
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, data):
        if self.kind == "rsa":
            return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
        return _int_bytes(r, 32) + _int_bytes(s, 32)


def _self_signed_certificate(directory):
    """A certificate for 127.0.0.1 signed by itself; returns (cert file, key file, SHA-1 thumbprint hex)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strongroom-test-issuer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file = os.path.join(directory, "issuer.crt")
    key_file = os.path.join(directory, "issuer.key")
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()  # noqa: S324 - what IAM's ThumbprintList holds
    return cert_file, key_file, thumbprint


class OidcIssuer:
    """The issuer: `start()` it (or use it as a context manager), mint tokens with `token(...)`, `stop()` it."""

    def __init__(self, https=False):
        self.https = https
        self.rsa = SigningKey("rsa")
        self.ec = SigningKey("ec")
        self.published = [self.rsa, self.ec]
        self.jwks_uri_override = None
        self.requests = {"discovery": 0, "jwks": 0}
        self.thumbprint = None
        self._server = None
        self._dir = None
        self.url = None

    # -- server

    def start(self):
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    issuer.requests["discovery"] += 1
                    body = {"issuer": issuer.url, "jwks_uri": issuer.jwks_uri_override or issuer.url + "/jwks",
                            "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif self.path == "/jwks":
                    issuer.requests["jwks"] += 1
                    body = issuer.jwks()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if self.https:
            self._dir = tempfile.mkdtemp(prefix="strongroom-e2e-issuer-")
            cert_file, key_file, self.thumbprint = _self_signed_certificate(self._dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, key_file)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = "%s://127.0.0.1:%d" % (scheme, self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._dir is not None:
            for name in os.listdir(self._dir):
                os.unlink(os.path.join(self._dir, name))
            os.rmdir(self._dir)
            self._dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def jwks(self):
        return {"keys": [k.jwk() for k in self.published]}

    # -- tokens

    def claims(self, sub, aud=AUDIENCE, lifetime=600, iss=None, **extra):
        now = int(time.time())
        claims = {"iss": iss or self.url, "sub": sub, "aud": aud, "iat": now, "nbf": now, "exp": now + lifetime}
        claims.update(extra)
        return claims

    def token(self, sub="system:serviceaccount:default:app", aud=AUDIENCE, key=None, lifetime=600, iss=None,
              kid=None, header=None, **extra):
        """An ID token signed with `key` (default: the RSA key), or with the claims and header given."""
        key = key or self.rsa
        head = {"alg": key.alg, "typ": "JWT", "kid": kid or key.kid}
        head.update(header or {})
        return self.encode(head, self.claims(sub, aud, lifetime, iss, **extra), key.sign)

    @staticmethod
    def encode(header, claims, sign):
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = sign(signing_input.encode("ascii")) if sign is not None else b""
        return signing_input + "." + b64url(signature)

    def unsigned_token(self, sub="system:serviceaccount:default:app", aud=AUDIENCE):
        """alg=none: a token with no signature at all."""
        return self.encode({"alg": "none", "typ": "JWT", "kid": self.rsa.kid}, self.claims(sub, aud), None)

    def hmac_with_public_key_token(self, sub="system:serviceaccount:default:app", aud=AUDIENCE):
        """Key confusion: HS256 'signed' with the issuer's published RSA public key (PEM) as the HMAC secret."""
        secret = self.rsa.public_pem()
        return self.encode({"alg": "HS256", "typ": "JWT", "kid": self.rsa.kid}, self.claims(sub, aud),
                           lambda data: hmac.new(secret, data, hashlib.sha256).digest())

    def forged_token(self, sub="system:serviceaccount:default:app", aud=AUDIENCE):
        """The RSA key's kid, but signed by a key the attacker made: a bad signature."""
        return self.token(sub=sub, aud=aud, key=SigningKey("rsa", kid=self.rsa.kid))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
