"""What the assistant says: while working, when done, when something went wrong."""

from __future__ import annotations

WORKING = {
    "generate": "Making your image…",
    "edit": "Editing your image…",
    "remove_background": "Removing the background…",
    "remove_watermark": "Removing the watermark…",
    "erase": "Erasing that part of the image…",
    "localize": "Localizing your ad…",
    "logo": "Designing your logo…",
}

DONE = {
    "generate": "Here is your image.",
    "edit": "Here is the edited image.",
    "remove_background": "Here it is without its background.",
    "remove_watermark": "Here it is without the watermark.",
    "erase": "Here it is with that part erased.",
    "localize": "Here are your localized ads.",
    "logo": "Here are your logo designs.",
}

DEFAULT_ANSWER = (
    "I can make images, edit them, remove backgrounds, watermarks or objects, localize ads "
    "and design logos. Tell me what you would like, and attach an image if it is about one."
)


def working(kind: str) -> str:
    return WORKING.get(kind, "Working on it…")


def done(kind: str) -> str:
    return DONE.get(kind, "Done.")


def failed(message: str) -> str:
    return f"Sorry, I could not do that: {message}"
