"""The fixed words that operators, staff, flows and tests share (DESIGN.md: contracts)."""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "emergency",
    "trafficking",
    "shelter",
    "housing",
    "legal",
    "immigration",
    "labour",
    "health",
    "mental_health",
    "addiction",
    "sexual_violence",
    "family_violence",
    "youth",
    "indigenous",
    "newcomers",
    "lgbtq",
    "disability",
    "men",
    "sex_work",
    "basic_needs",
    "peer_support",
)

# Filters a search node (or the CLI) may ask for; each narrows or re-ranks results. From `under_18` on they say
# what the person told us, and door lists rank by fit to it (bot/directory/fit.py); `report` lets reporting
# lines and police into the list.
FILTERS: tuple[str, ...] = (
    "open_now",
    "no_id_required",
    "free",
    "walk_in",
    "anonymous",
    "youth",
    "under_18",
    "women",
    "men",
    "trans",
    "with_children",
    "no_status",
    "no_police",
    "report",
    "peers",
)

# Commands a person can send from any node.
PERSON_COMMANDS: tuple[str, ...] = ("start", "menu", "talk", "language", "forget", "help")

TIMEZONE_DEFAULT = "America/Edmonton"
