"""The refined prompt of a message, and the studio's replies when no job fits."""

from __future__ import annotations

import re

from pictor.studio.intent import IntentKind

_POLITE = (
    r"please|pls|plz|hey|hi|hello|ok|okay|so|now|then|and|also|just|can you|could you|"
    r"would you|will you|can u|could u|pl[eo]ase|i need|i want|i'd like|i would like|"
    r"por favor|bitte|s'il te plaît|s'il vous plaît|per favore|proszę|lütfen"
)
_CREATE = (
    r"generate|genrate|create|make|draw|design|render|paint|produce|give me|show me|"
    r"genera|crea|hazme|haz|cr[ée]e|g[ée]n[èe]re|dessine(?:-moi)?|erstelle|generiere|"
    r"zeichne|mach mir|mach|fammi|disegna|crie|gere|desenhe|maak|genereer|teken|"
    r"wygeneruj|narysuj|stwórz|нарисуй|создай|сгенерируй|buatkan|buat|tạo"
)
_IMAGE_OF = (
    r"(?:an?|some|one|me|for me|una?|une?|ein(?:e|en)?|un'|uma?|een|la|el|le|il)?\s*"
    r"(?:image|picture|pic|illustration|drawing|imagen|ilustraci[óo]n|image|bild|"
    r"immagine|imagem|afbeelding|obraz)\s+(?:of|de|d'|von|vom|di|van)\s*"
)
_LEAD_POLITE = re.compile(rf"(?i)^\s*(?:(?:{_POLITE})\b[\s,!.]*)+")
_LEAD_CREATE = re.compile(rf"(?i)^\s*(?:{_CREATE})\b(?:\s+(?:me|for me|us)\b)?\s*")
_LEAD_IMAGE_OF = re.compile(rf"(?i)^\s*{_IMAGE_OF}")
_TRAILING = re.compile(
    r"(?i)[\s,;:.!]*(?:please|pls|plz|thanks|thank you|por favor|bitte)?[\s,;:.!?]*$"
)


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = text.strip(" ,;:-")
    return text[:1].upper() + text[1:]


def refine(raw: str, spans: list[tuple[int, int]], kind: IntentKind, cues: list[str]) -> str:
    """``raw`` without what only routes or sets a parameter, plus style cues in English."""
    text = _cut(raw, spans)
    text = _LEAD_POLITE.sub("", text)
    if kind == "generate":
        text = _LEAD_CREATE.sub("", text)
        text = _LEAD_IMAGE_OF.sub("", text)
    text = _tidy(_TRAILING.sub("", text))
    if cues:
        text = f"{text}, {', '.join(cues)}" if text else ", ".join(cues)
    return text[:4000] or _tidy(raw)[:4000]


CAPABILITIES = (
    'I can create an image from a description, edit a picture ("make it warmer"), '
    "remove a background or a watermark, erase something from a photo, localize an ad "
    "for other languages and markets, and design a logo."
)
_ACTIONS: dict[str, str] = {
    "edit": "edit it",
    "remove_background": "remove its background",
    "remove_watermark": "remove its watermark",
    "erase": "erase what you asked",
    "localize": "localize it",
}
REPLIES = {
    "greeting": f"Hi! {CAPABILITIES} What would you like to make?",
    "thanks": "You're welcome! Ask for anything else whenever you like.",
    "price": (
        "Every job is priced in credits, shown before it runs and charged only when it "
        "succeeds; your balance and the prices are under /v1/credits."
    ),
    "help": f"{CAPABILITIES} Just say what you want, in your own words.",
    "need_name": (
        'What is the business called? Say for example "a logo for Golden Crust" and I\'ll '
        "design a few."
    ),
    "need_targets": (
        'Which languages or markets should I localize it for? For example "Japanese and '
        'German" or "Brazil and Spain".'
    ),
    "fallback": (
        'I\'m not sure what to make of that. Try "a watercolor fox in the snow", '
        '"remove the background" or "translate this ad into Japanese".'
    ),
}


def need_image(kind: IntentKind) -> str:
    action = _ACTIONS.get(kind, "work on it")
    return f"Attach an image (or make one first) and I'll {action}."
