"""Keys as people paste them (and break them), generated at test time, and a leak detector.

Nothing here is ever written to the repository: every key is generated when the tests run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SLICE = 40  # any 40 characters of the key's body showing up anywhere count as a leak
_RUN = re.compile(rf"[A-Za-z0-9+/=]{{{SLICE},}}")
FORMATS = {
    "pkcs8": serialization.PrivateFormat.PKCS8,
    "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
}


def pem_of(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, fmt: str = "pkcs8") -> bytes:
    private_format = FORMATS[fmt] if isinstance(key, rsa.RSAPrivateKey) else FORMATS["pkcs8"]
    return key.private_bytes(
        serialization.Encoding.PEM, private_format, serialization.NoEncryption()
    )


def body_lines(pem: bytes) -> list[str]:
    """The base64 lines of a PEM, without BEGIN/END."""
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


def body(pem: bytes) -> str:
    """The base64 body of a PEM on one line: what must never leak."""
    return "".join(body_lines(pem))


def names_too_long_a_file(value: str) -> bool:
    """Whether `Path(value).is_file()` fails with ENAMETOOLONG: its first part exceeds 255 bytes.

    (The kernel stops at the first missing part, so only the first one's length matters.)
    """
    return len(value.split("/", 1)[0].encode()) > 255


# How a valid key reaches AMAZON_PAY_PRIVATE_KEY: each of these must work.
VARIANTS: dict[str, Callable[[bytes], str]] = {
    "pem": lambda pem: pem.decode(),
    "pem-crlf": lambda pem: pem.decode().replace("\n", "\r\n"),
    "pem-double-quoted": lambda pem: f'"{pem.decode()}"',
    "pem-escaped-newlines": lambda pem: pem.decode().strip().replace("\n", "\\n"),
    "pem-one-line": lambda pem: pem.decode().strip().replace("\n", " "),
    "bare": body,
    "bare-lines": lambda pem: "\n".join(body_lines(pem)),
    "bare-single-quoted-crlf": lambda pem: "'" + "\r\n".join(body_lines(pem)) + "'",
}


def broken_variants(pem: bytes) -> dict[str, str]:
    """Damaged keys: each must fail with a message, and without showing the key."""
    lines = body_lines(pem)
    text = body(pem)
    middle = len(lines) // 2
    return {
        "truncated-pem": "\n".join(pem.decode().splitlines()[:8] + pem.decode().splitlines()[-1:]),
        "corrupt-pem": pem.decode().replace(lines[middle], lines[middle][::-1]),
        "truncated-bare": text[: len(text) // 8 * 4],
        "corrupt-bare": text.replace(lines[middle], lines[middle][::-1]),
        "bare-with-junk": text[:700] + "!" + text[700:],
        "pem-without-end": pem.decode().rsplit("-----END", 1)[0],
    }


@dataclass
class LeakCheck:
    """Finds any SLICE characters of a key's body in a text."""

    secret: str

    def __post_init__(self) -> None:
        self.slices = {self.secret[i : i + SLICE] for i in range(len(self.secret) - SLICE + 1)}

    def found_in(self, text: str) -> bool:
        for run in _RUN.findall(text):
            if any(run[i : i + SLICE] in self.slices for i in range(len(run) - SLICE + 1)):
                return True
        return False


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_keys(count: int, limit: int = 500) -> tuple[list[rsa.RSAPrivateKey], str]:
    """`count` fresh RSA keys; the first one's bare body (in the format returned) names too
    long a file: on the old code that key became the file name of an OSError's message.

    About one key in 55 qualifies per format, so this generates some 30 keys on average.
    """
    others: list[rsa.RSAPrivateKey] = []
    for _ in range(limit):
        key = new_rsa_key()
        for fmt in FORMATS:
            if names_too_long_a_file(body(pem_of(key, fmt))):
                others = others[: count - 1]
                others += [new_rsa_key() for _ in range(count - 1 - len(others))]
                return [key, *others], fmt
        others.append(key)
    raise RuntimeError(f"none of {limit} keys has a body whose first part exceeds 255 characters")
