"""What a clerk reads when the platform says no or does not answer."""

from __future__ import annotations

from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.i18n import Messages


def explain(t: Messages, error: BaseException) -> str:
    """A message for a failed platform request, in the clerk's language."""
    if isinstance(error, PlatformUnreachable):
        return t("error.unreachable")
    if isinstance(error, PlatformRefused):
        if not t.has(f"error.{error.code}"):
            return t("error.other", detail=error.message)
        return t(f"error.{error.code}", detail=error.message)
    return t("error.other", detail=str(error))
