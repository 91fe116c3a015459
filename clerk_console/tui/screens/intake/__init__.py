"""The intake (受理) as a package: the screen that holds the draft and one module per step."""

from clerk_console.tui.screens.intake.screen import IntakeScreen

__all__ = ["IntakeScreen"]
