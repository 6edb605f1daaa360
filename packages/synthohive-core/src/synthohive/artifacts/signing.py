"""Optional HMAC-SHA256 signatures over a model file's manifest.

The manifest lists the SHA-256 of every member, so a valid MAC over the manifest bytes
covers the whole file. The key comes from the caller or ``SYNTHOHIVE_SIGNING_KEY``; it is
never written to the file, logged, or shown in an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from synthohive.errors import ArtifactError, UntrustedModelFileError

ENV_SIGNING_KEY = "SYNTHOHIVE_SIGNING_KEY"
ALGORITHM = "hmac-sha256"


def resolve_key(key: bytes | str | None) -> bytes | None:
    """The signing key as bytes: the argument, else ``$SYNTHOHIVE_SIGNING_KEY``, else None."""
    if key is None:
        key = os.environ.get(ENV_SIGNING_KEY) or None
    if key is None:
        return None
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not raw:
        raise ArtifactError(
            "the signing key is empty", fix=f"pass a non-empty key or unset {ENV_SIGNING_KEY}"
        )
    return raw


def sign(manifest_bytes: bytes, key: bytes) -> bytes:
    """``signature.json`` bytes for ``manifest_bytes``."""
    mac = hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest()
    doc = {"algorithm": ALGORITHM, "signature": mac}
    return json.dumps(doc, sort_keys=True).encode("utf-8")


def verify(manifest_bytes: bytes, signature_doc: object, key: bytes) -> None:
    """Raise :class:`UntrustedModelFileError` unless ``signature_doc`` signs the manifest."""
    if signature_doc is None:
        raise UntrustedModelFileError(
            "the model file is not signed, but a signing key was given",
            fix="load it without a key only if you trust its source, or re-save it signed",
        )
    if (
        not isinstance(signature_doc, dict)
        or set(signature_doc) != {"algorithm", "signature"}
        or signature_doc.get("algorithm") != ALGORITHM
        or not isinstance(signature_doc.get("signature"), str)
    ):
        raise UntrustedModelFileError(
            "signature.json is malformed",
            fix="the file was altered; use a copy from a trusted source",
        )
    expected = hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature_doc["signature"]):
        raise UntrustedModelFileError(
            "the model file's signature does not match the signing key",
            fix="the file was altered or signed with another key; use a trusted copy",
        )
