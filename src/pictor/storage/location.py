"""Where an S3 store keeps its blobs: ``s3://bucket[/prefix]`` parsed and checked once."""

from __future__ import annotations

import re
from dataclasses import dataclass

# S3's own bucket naming rules (R2 and MinIO follow them): 3-63 characters, lowercase
# letters, digits, dots and hyphens, starting and ending with a letter or digit.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    #: "" or "a/b" (no leading or trailing "/"): every blob key is stored under it.
    prefix: str = ""

    def object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def blob_key(self, object_key: str) -> str:
        """The blob key of an object key listed under this location."""
        if not self.prefix:
            return object_key
        return object_key.removeprefix(f"{self.prefix}/")

    @property
    def list_prefix(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def parse_s3_url(url: str) -> S3Location:
    """``s3://bucket`` or ``s3://bucket/some/prefix`` (a trailing "/" is allowed).

    Raises ``ValueError`` with what is wrong, for settings validation.
    """
    if not url.startswith("s3://"):
        raise ValueError(f"not an S3 URL: {url!r}; use s3://bucket[/prefix]")
    rest = url.removeprefix("s3://")
    if "?" in rest or "#" in rest:
        raise ValueError(f"S3 URL {url!r} must not have a query or fragment")
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(
            f"invalid S3 bucket name {bucket!r}: 3-63 lowercase letters, digits, '.' or '-'"
        )
    prefix = prefix.strip("/")
    if prefix:
        for segment in prefix.split("/"):
            if not _PREFIX_SEGMENT.fullmatch(segment) or segment in (".", ".."):
                raise ValueError(f"invalid S3 key prefix {prefix!r} in {url!r}")
    return S3Location(bucket, prefix)
