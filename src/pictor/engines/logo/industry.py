"""Industry detection from whole words ("retail" is not "ai") and its icons."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Industry:
    name: str
    keywords: frozenset[str]
    #: Lucide icon names, best first.
    icons: tuple[str, ...]


def _industry(name: str, keywords: str, icons: str) -> Industry:
    return Industry(name, frozenset(keywords.split()), tuple(icons.split()))


INDUSTRIES: tuple[Industry, ...] = (
    _industry(
        "bakery",
        "bakery baker bakes bread pastry patisserie cake cakes cupcake",
        "croissant cake-slice wheat cookie",
    ),
    _industry(
        "coffee",
        "coffee cafe espresso roastery roaster tea teahouse barista",
        "coffee cup-soda leaf",
    ),
    _industry(
        "restaurant",
        "restaurant food bistro diner kitchen eatery grill pizza pizzeria "
        "catering burger sushi taqueria",
        "utensils chef-hat pizza soup",
    ),
    _industry(
        "bar",
        "bar pub brewery beer wine winery cocktail tavern distillery",
        "wine beer martini grape",
    ),
    _industry(
        "retail",
        "retail shop store boutique market grocery ecommerce outlet",
        "shopping-bag store shopping-cart tag",
    ),
    _industry(
        "fashion",
        "fashion clothing apparel tailor couture wear jewelry jewellery",
        "shirt gem scissors crown",
    ),
    _industry(
        "beauty",
        "beauty salon spa hair barber nails cosmetics skincare makeup",
        "sparkles flower-2 scissors droplet",
    ),
    _industry(
        "fitness",
        "fitness gym yoga pilates crossfit training trainer sport sports athletic",
        "dumbbell activity bike heart-pulse",
    ),
    _industry(
        "health",
        "health medical clinic doctor pharmacy care therapy wellness hospital nursing",
        "heart-pulse stethoscope cross hand-heart",
    ),
    _industry("dental", "dental dentist orthodontics teeth", "smile sparkles shield-plus"),
    _industry(
        "tech",
        "tech technology software ai app apps saas cloud data digital "
        "computing cyber startup web dev developer it",
        "cpu code cloud zap",
    ),
    _industry(
        "finance",
        "finance financial accounting accountant bank banking invest "
        "investment insurance tax wealth capital fintech",
        "landmark trending-up coins piggy-bank",
    ),
    _industry(
        "legal", "legal law lawyer attorney notary firm advocate", "scale gavel landmark book-open"
    ),
    _industry(
        "construction",
        "construction builder building contractor plumbing plumber "
        "electrician roofing renovation handyman carpentry",
        "hammer hard-hat wrench house",
    ),
    _industry(
        "real_estate",
        "realty realtor estate property properties housing homes apartments rental",
        "house key building-2 map-pin",
    ),
    _industry(
        "education",
        "education school academy tutoring tutor learning university college courses training kids",
        "graduation-cap book-open pencil lightbulb",
    ),
    _industry(
        "photography",
        "photography photographer photo photos studio film video camera",
        "camera aperture film image",
    ),
    _industry(
        "music",
        "music band musician records recording audio sound dj piano guitar",
        "music headphones mic guitar",
    ),
    _industry(
        "travel",
        "travel tours tour agency trips hotel hostel vacation airline",
        "plane map compass tree-palm",
    ),
    _industry(
        "pets",
        "pet pets vet veterinary dog dogs cat cats grooming kennel",
        "paw-print dog cat bone",
    ),
    _industry(
        "garden",
        "garden gardening landscaping florist flowers flower plants nursery farm organic",
        "leaf flower sprout trees",
    ),
    _industry(
        "automotive",
        "auto automotive car cars mechanic garage motors tires detailing",
        "car wrench gauge fuel",
    ),
    _industry(
        "cleaning",
        "cleaning cleaners janitorial laundry maid housekeeping",
        "sparkles spray-can droplets shirt",
    ),
    _industry(
        "consulting",
        "consulting consultancy consultant agency marketing strategy advisory design creative",
        "lightbulb target briefcase pen-tool",
    ),
)

GENERAL = Industry("general", frozenset(), ("star", "sparkles", "circle-dot", "hexagon"))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _matches(word: str, keywords: frozenset[str]) -> bool:
    # A plural still names the trade ("bakeries" is handled by its own keyword list).
    if word in keywords:
        return True
    if word.endswith("ies") and word[:-3] + "y" in keywords:
        return True
    return word.endswith("s") and word[:-1] in keywords


def detect_industry(business_type: str, description: str = "", name: str = "") -> Industry:
    """The industry whose keywords the text names most, weighting the stated type highest."""
    scores: dict[str, int] = {}
    for text, weight in ((business_type, 5), (description, 2), (name, 1)):
        for word in words(text):
            for industry in INDUSTRIES:
                if _matches(word, industry.keywords):
                    scores[industry.name] = scores.get(industry.name, 0) + weight
    if not scores:
        return GENERAL
    order = {industry.name: i for i, industry in enumerate(INDUSTRIES)}
    best = max(scores, key=lambda n: (scores[n], -order[n]))
    return next(industry for industry in INDUSTRIES if industry.name == best)
