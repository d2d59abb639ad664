"""Throwaway RSA key pairs for talking to the local sandbox (demo, `make run`, benchmarks).

Generated at run time and never committed: the private half goes to the module's settings, the
public half to the sandbox's key registry.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def throwaway_key_pair() -> tuple[bytes, str]:
    """A new 2048-bit key: (private key as PKCS#8 PEM bytes, public key as PEM text)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()
