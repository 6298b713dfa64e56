"""Errors of image providers; none of them knows HTTP (``api/errors.py`` maps codes)."""

from __future__ import annotations

from pictor.errors import EngineUnavailable, InvalidInput, PictorError


class ProviderNotConfigured(EngineUnavailable):
    """No provider (or not the one asked for) is configured; the message names the setting."""

    code = "provider_not_configured"


class ContentBlocked(InvalidInput):
    """The provider refused the prompt or its output on safety grounds."""

    code = "content_blocked"


class ProviderError(PictorError):
    """The provider answered, but not with images we can use (4xx, malformed body, no image).

    Never transient for the job: the provider module already retried what may heal.
    """

    code = "provider_error"


class ProviderAuthFailed(ProviderError):
    """The provider refused our credentials (401/403)."""

    code = "provider_auth_failed"


class ProviderUnavailable(ProviderError):
    """429, 5xx or connection failures that persisted through every retry."""

    code = "provider_unavailable"


class ProviderTimeout(ProviderUnavailable):
    """The provider did not finish within the time allowed."""

    code = "provider_timeout"
