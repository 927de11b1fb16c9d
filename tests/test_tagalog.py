"""bot/conversation/tagalog.py: the forms of a Tagalog verb meet at one root, and other words stay apart."""

from __future__ import annotations

import pytest

from bot.conversation.tagalog import affixed, roots

# real forms people type: completed, ongoing, future, infinitive
SAME = [
    ("patayin", "papatayin", "pinatay", "pumatay", "pinapatay"),  # kill
    ("saktan", "sinaktan", "sasaktan", "sinasaktan"),  # hurt someone
    ("magpakamatay", "nagpakamatay", "magpapakamatay", "nagpapakamatay"),  # kill oneself
    ("maglaslas", "naglaslas", "naglalaslas", "maglalaslas"),  # slash (wrists)
    ("bugbog", "binugbog", "binubugbog", "bubugbugin", "bugbugin"),  # beat up (o and u alike)
    ("kulong", "kinulong", "ikinulong", "kulungin"),  # lock up
    ("inom", "uminom", "ininom", "iinom"),  # drink, take (pills)
    ("sakal", "sinakal", "sinasakal", "sasakalin"),  # choke
    ("talon", "tumalon", "tatalon"),  # jump
    ("lunok", "lumunok", "nilunok"),  # swallow
    ("mabuhay", "nabubuhay"),  # live
]
APART = [
    ("namatay", "magpakamatay"),  # died is not killed oneself
    ("nasaktan", "sinaktan"),  # got hurt is not hurt someone
    ("mamatay", "patayin"),  # die is not kill
]


@pytest.mark.parametrize("forms", SAME, ids=lambda f: f[0])
def test_every_form_of_a_verb_meets_at_one_root(forms: tuple[str, ...]) -> None:
    """Aspect and focus affixes (mag-/nag-, -um-, -in-, -in/-an, the repeated syllable) come off alike."""
    shared = set.intersection(*(set(roots(f)) for f in forms))
    assert shared, {f: sorted(roots(f)) for f in forms}


@pytest.mark.parametrize(("one", "other"), APART)
def test_stative_and_derived_verbs_stay_apart(one: str, other: str) -> None:
    """A stative (na-/ma-) or derived (magpaka-) verb is another act than the bare verb."""
    assert not roots(one) & roots(other)


def test_a_bare_root_is_not_affixed_and_short_words_are_kept() -> None:
    """ "patay" (dead) as typed carries no affix; "ako" stays itself."""
    assert not affixed("patay")
    assert affixed("papatayin")
    assert roots("ako") == {"aku"}
