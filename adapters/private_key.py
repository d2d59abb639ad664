"""How the AMAZON_PAY_PRIVATE_KEY setting becomes PEM bytes: the key's text, or a path to it.

The value is decided to be key text *before* anything asks the file system about it: a key
handed to `Path.is_file()` can come back as the file name of an OSError ("File name too long"),
and from there reach stderr, logs and Prefect's database. Only a short value without line
breaks, whose every part fits a file name, is looked up as a path, and no error of that lookup
is kept. Every message here is a fixed text: none carries the value or a part of it.

Accepted key text: PEM (PKCS#1, PKCS#8), also with CRLF line endings, on one line, with literal
`\\n` escapes (as some .env and CI tools store it), or quoted; and the bare base64 body without
the BEGIN/END lines, which is wrapped into PEM here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from pathlib import Path

NAME_MAX = 255  # bytes of one path component (Linux, macOS)
PATH_MAX = 4096  # bytes of a whole path (Linux)
NOT_SET = "AMAZON_PAY_PRIVATE_KEY is not set"
NOT_A_KEY = (
    "AMAZON_PAY_PRIVATE_KEY is neither PEM text, nor the base64 body of a key, nor a readable file"
)
_ARMOR = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
_WHITESPACE = re.compile(r"\s+")
# The tag after a DER key's leading `INTEGER version` says which structure it is.
_LABEL_BY_TAG = {0x30: "PRIVATE KEY", 0x02: "RSA PRIVATE KEY", 0x04: "EC PRIVATE KEY"}


def key_pem(value: str) -> bytes:
    """The PEM bytes of the setting's value; ValueError with a fixed message otherwise."""
    text = unquote(value)
    if not text:
        raise ValueError(NOT_SET)
    if "-----BEGIN" in text:
        return armored(text)
    if could_be_path(text):
        found = existing_file(text)
        if found is not None:
            return read_key_file(found)
    unescaped = text.replace("\\n", "\n")
    if _BASE64.fullmatch(unescaped):
        return bare(unescaped)
    raise ValueError(NOT_A_KEY)


def unquote(value: str) -> str:
    """The value without surrounding whitespace and one pair of matching quotes."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def could_be_path(text: str) -> bool:
    """Whether the file system may be asked about `text` without an error naming it."""
    if "\n" in text or "\r" in text or "\0" in text:
        return False
    encoded = text.encode("utf-8", "surrogateescape")
    return len(encoded) < PATH_MAX and all(len(part) <= NAME_MAX for part in encoded.split(b"/"))


def existing_file(text: str) -> Path | None:
    """The file `text` names, or None; no error of the lookup survives (they name the path)."""
    try:
        path = Path(text).expanduser()
        return path if path.is_file() else None
    except (OSError, ValueError, RuntimeError):
        return None


def read_key_file(path: Path) -> bytes:
    """The file's bytes; a failure says why (errno text), not where or what."""
    reason = ""
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    raise ValueError(f"the file AMAZON_PAY_PRIVATE_KEY names cannot be read: {reason}")


def armored(text: str) -> bytes:
    """PEM text with its body re-wrapped: CRLF, one-line, `\\n`-escaped or spaced pastes."""
    text = text.replace("\\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    found = _ARMOR.search(text)
    if found is None or ":" in found.group(2):
        # No END line (the loader will refuse it), or legacy PEM headers: leave as it is.
        return text.strip().encode("ascii", "replace") + b"\n"
    return pem(found.group(1), _WHITESPACE.sub("", found.group(2)))


def bare(text: str) -> bytes:
    """The base64 body of a key without its BEGIN/END lines, wrapped into PEM."""
    body = _WHITESPACE.sub("", text)
    der = b""
    with contextlib.suppress(binascii.Error, ValueError):
        der = base64.b64decode(body, validate=True)
    if not der:
        raise ValueError(NOT_A_KEY)
    return pem(der_label(der), body)


def der_label(der: bytes) -> str:
    """The PEM label of a DER private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC)."""
    if len(der) < 2 or der[0] != 0x30:
        return "PRIVATE KEY"
    start = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    version = der[start : start + 3]
    if len(version) < 3 or version[:2] != b"\x02\x01" or len(der) <= start + 3:
        return "PRIVATE KEY"
    return _LABEL_BY_TAG.get(der[start + 3], "PRIVATE KEY")


def pem(label: str, body: str) -> bytes:
    """PEM text: BEGIN line, the base64 body in lines of 64, END line."""
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""]).encode()


def redact(message: str, secret: str) -> str:
    """`message` with every base64 run of 16+ characters that occurs in `secret` blanked."""
    compact = _WHITESPACE.sub("", secret)
    if not compact:
        return message

    def blank(found: re.Match[str]) -> str:
        run = found.group(0)
        shared = any(run[i : i + 16] in compact for i in range(len(run) - 15))
        return "[redacted]" if shared else run

    return re.sub(r"[A-Za-z0-9+/=]{16,}", blank, message)
