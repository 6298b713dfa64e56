"""Blob keys: one spelling that is safe both as a path under a folder and as an S3 key."""

from __future__ import annotations

import re

from pictor.storage.base import InvalidBlobKey

MAX_KEY_LENGTH = 512
#: File systems refuse longer names (NAME_MAX); S3 would not mind, but keys must fit both.
MAX_SEGMENT_LENGTH = 255

_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,16}")


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a valid blob key, else raise ``InvalidBlobKey``.

    Valid: relative, "/"-separated, every segment ``[A-Za-z0-9._-]+`` and neither "." nor
    "..", at most 255 characters per segment and 512 in all. This alone keeps keys inside
    a store's root; the local store still checks resolved paths (symlinks) as well.
    """
    if not isinstance(key, str) or not key:
        raise InvalidBlobKey("blob key must be a non-empty string", field="key")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKey(f"blob key is longer than {MAX_KEY_LENGTH} characters", field="key")
    for segment in key.split("/"):
        # fullmatch, not match: "$" would accept a trailing newline.
        if (
            not _SEGMENT.fullmatch(segment)
            or segment in (".", "..")
            or len(segment) > MAX_SEGMENT_LENGTH
        ):
            raise InvalidBlobKey(f"invalid blob key {key!r}", field="key")
    return key


def artifact_key(owner_id: str, artifact_id: str, ext: str) -> str:
    """The key of an artifact file: ``"{owner_id}/{artifact_id}.{ext}"``, e.g. ``usr_x/art_y.png``.

    ``ext`` may be given with or without its dot; it is lowercased.
    """
    extension = ext.removeprefix(".").lower()
    if not _EXTENSION.fullmatch(extension):
        raise InvalidBlobKey(f"invalid file extension {ext!r}", field="ext")
    for name, value in (("owner_id", owner_id), ("artifact_id", artifact_id)):
        if "/" in value:
            raise InvalidBlobKey(f"{name} must not contain '/'", field=name)
    return validate_key(f"{owner_id}/{artifact_id}.{extension}")
