# ruff: noqa: RUF001
"""The ``rules`` engine: keyword meanings scored per intent, then context.

1. The message is folded and tokenized (``text``); each meaning of ``lexicon``
   (remove, background, watermark, create, change, translate...) is found or not.
2. Each intent scores from the meanings that ask for it (``score``): removing the
   background, a watermark, or something else (erase); creating a picture; changing
   one; translating for markets; a logo; or chatting (greetings, thanks, prices, help).
3. Context decides the rest: below ``MIN_SCORE`` it is an answer; an intent that
   works on an image uses the attached images, else the session's last one, else
   becomes an answer asking for an image; "generate" with an attached image is an
   edit of it; a logo needs a business name and a localization a target.
4. Parameters come from ``extract`` and ``names``; the prompt from ``prompts``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pictor.studio.engines import lexicon as lx
from pictor.studio.engines.extract import CUE_LEXICONS, Extracted, extract
from pictor.studio.engines.jobs import NoJob, assemble, valid_params
from pictor.studio.engines.names import business_name
from pictor.studio.engines.prompts import REPLIES, need_image, refine
from pictor.studio.engines.text import Lexicon, Message
from pictor.studio.intent import Intent, IntentKind, MessageContext

#: Intents that work on images, with how many inputs their job takes.
NEEDS_IMAGE: dict[str, int] = {
    "edit": 17, "remove_background": 1, "remove_watermark": 50, "erase": 2, "localize": 1
}  # fmt: skip
MIN_SCORE = 1.5
_MEANINGS: tuple[Lexicon, ...] = (
    lx.REMOVE, lx.BACKGROUND, lx.IN_THE_BACKGROUND, lx.WATERMARK, lx.CUTOUT, lx.CREATE,
    lx.PICTURE, lx.CHANGE, lx.ADJUST, lx.REFER, lx.NEW, lx.QUALITY, lx.TRANSLATE,
    lx.MARKETING, lx.LOGO, lx.GREETING, lx.THANKS, lx.PRICE, lx.HELP, lx.QUESTION, lx.OBJECT,
)  # fmt: skip
#: Known words are never read as typos of other words.
VOCABULARY = frozenset(
    w for lexicon in (*_MEANINGS, *CUE_LEXICONS.values()) for w in lexicon.plain_words()
)


@dataclass(frozen=True)
class Signals:
    """Which meanings a message has, and a few facts about its shape."""

    found: frozenset[str]
    words: int
    question: bool
    found_params: Extracted

    def __contains__(self, name: str) -> bool:
        return name in self.found


def read(message: Message) -> Signals:
    found = {m.name for m in _MEANINGS if m.present(message, VOCABULARY)}
    opens = lx.QUESTION.first(message, VOCABULARY)
    question = message.raw.rstrip().endswith(("?", "？", "؟")) or opens in (0, -1)
    spaced = len(message.words) > 1 or not message.words
    words = len(message.words) if spaced else max(1, len(message.folded) // 3)
    return Signals(frozenset(found), words, question, extract(message))


def score(s: Signals, image: bool) -> dict[IntentKind, float]:
    """Points per intent (see the module doc); ``image``: one is attached or in session."""
    p = s.found_params
    targets = bool(p.targets.languages or p.targets.markets)
    located = "in the background" in s and "object" in s
    background = "background" in s and not located
    remove = "remove" in s
    short = s.words <= 5
    scene_change = background and "change" in s and p.background_color is None
    points: dict[IntentKind, float] = {
        "remove_background": (
            3.5 * (remove and background)
            + (3.0 + 1.0 * ("background" in s)) * ("cutout" in s)
            + 2.5 * (background and p.background_color is not None)
        ),
        "remove_watermark": 4.0 * ("watermark" in s) + 1.0 * (remove and "watermark" in s),
        "erase": (
            (3.0 + 0.5 * ("object" in s or "logo" in s) + 0.5 * (p.corner is not None))
            * (remove and not background and "watermark" not in s and "quality" not in s)
        ),
        "localize": 3.0 * ("translate" in s) + 1.5 * targets + 1.5 * (targets and "marketing" in s),
        "logo": (3.5 - 1.5 * ("picture" in s)) * ("logo" in s and not remove),
        "generate": 2.5 * ("create" in s) + 1.0 * ("picture" in s) + 2.0 * ("new" in s),
        "edit": (
            2.5 * ("change" in s)
            + 2.0 * ("adjust" in s and (image or "refer" in s or s.words <= 4))
            + 1.0 * ("refer" in s and image)
            + 1.0 * scene_change
            + 1.5 * ("quality" in s and remove)
            + 1.0 * (bool(p.style_cues) and image and "refer" in s)
        ),
        "answer": (
            (3.0 if short else 1.0) * ("greeting" in s)
            + (3.0 if short else 0.5) * ("thanks" in s)
            + 4.0 * ("price" in s)
            + 3.0 * ("help" in s)
            + 1.0 * s.question
        ),
    }
    if "new" in s:
        points["edit"] -= 2.0
    if not image:
        points["edit"] *= 0.75  # without an image, "more" or "add" may describe a new one
    chatty = {"greeting", "thanks", "price", "help"} & s.found
    described = s.words >= 3 and not s.question and not chatty
    if described and max(points.values()) < MIN_SCORE:
        # A description alone ("a cozy cabin at dusk, watercolor") asks for a picture.
        points["generate"] += MIN_SCORE + 0.5 * bool(p.style_cues or p.aspect_ratio)
    return points


def _confidence(points: dict[IntentKind, float]) -> float:
    ranked = sorted(points.values(), reverse=True)
    best, second = ranked[0], max(ranked[1], 0.0)
    if best <= 0:
        return 0.3
    return round(min(0.99, (best / (best + second)) * min(1.0, best / 4.0)), 2)


class RulesEngine:
    """Offline keyword grammar; see the module doc."""

    name = "rules"

    async def understand(self, text: str, context: MessageContext) -> Intent:
        return understand(text, context)


def _answer(reply: str, confidence: float) -> Intent:
    return Intent(kind="answer", reply=reply, confidence=confidence, engine="rules")


def _chat_reply(s: Signals) -> str:
    for name in ("price", "help", "thanks", "greeting"):
        if name in s:
            return REPLIES[name]
    return REPLIES["fallback"]


def _logo_name(text: str, context: MessageContext) -> tuple[str | None, str]:
    """The business name, from this message or, when the previous one asked for a logo
    and this one is short, this whole message ("it's called Golden Crust")."""
    name = business_name(text)
    if name or not context.history:
        return name, text
    previous = context.history[-1]
    if lx.LOGO.first(Message.of(previous), VOCABULARY) is not None and len(text.split()) <= 6:
        said = text.strip().rstrip(".!")
        for lead in ("it's called ", "it is called ", "called ", "the name is ", "name: "):
            if said.lower().startswith(lead):
                said = said[len(lead) :]
        return business_name(f'"{said}"'), f"{previous} {text}"
    return None, text


def _answers_a_logo_question(context: MessageContext) -> bool:
    """The previous message asked for a logo without naming the business."""
    if not context.history:
        return False
    previous = context.history[-1]
    asked = lx.LOGO.first(Message.of(previous), VOCABULARY) is not None
    return asked and business_name(previous) is None


def understand(text: str, context: MessageContext) -> Intent:
    """The rules engine's reading of one message (pure; no I/O)."""
    message = Message.of(text)
    s = read(message)
    attached = bool(context.image_ids)
    image = attached or context.last_image_id is not None
    points = score(s, image)
    kind: IntentKind = max(points, key=lambda k: points[k])
    confidence = _confidence(points)
    if (points[kind] < MIN_SCORE or kind == "answer") and _answers_a_logo_question(context):
        kind, confidence = "logo", 0.6  # "make me a logo" / "What is it called?" / "Acme"
    elif points[kind] < MIN_SCORE or kind == "answer":
        return _answer(_chat_reply(s), confidence)
    if kind == "generate" and attached and "new" not in s:
        kind = "edit"  # "a poster using this photo": the photo is an input
    if kind in NEEDS_IMAGE and not image:
        return _answer(need_image(kind), confidence)
    found = s.found_params
    name, described = _logo_name(text, context) if kind == "logo" else (None, text)
    if kind == "logo" and name is None:
        return _answer(REPLIES["need_name"], confidence)
    if kind == "localize" and not (found.targets.languages or found.targets.markets):
        return _answer(REPLIES["need_targets"], confidence)
    params = assemble(kind, found, business_name=name, text=described)
    images = context.image_ids or ((context.last_image_id,) if context.last_image_id else ())
    intent = Intent(
        kind=kind,
        params=params,
        prompt=refine(text, found.spans, kind, found.style_cues),
        confidence=confidence,
        image_ids=tuple(images)[: NEEDS_IMAGE.get(kind, 0)],
        engine="rules",
    )
    try:
        return valid_params(intent)
    except NoJob as exc:
        return _answer(f"I can't run that as asked: {exc}", confidence)
