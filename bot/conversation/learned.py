"""A second ear for crisis: a linear model learned, at load, from the messages staff keep in
flows/crisis-examples.yaml, for the wordings no phrase or net of flows/danger-words.yaml covers yet.

Pure. The phrases hear first (bot/conversation/safety.py); this model is asked only when they are silent. It reads
a message as its letter sequences (3 to 5 letters inside each word, so "tatalon", "tumalon" and "tatalun" share
most of theirs) and its words and word pairs, weighted by how rare they are (TF-IDF), and scores each kind with
a logistic regression (scikit-learn) fitted on the examples: suicide, suicide happening now, danger, and calm.
It raises the alarm only when the chance that the message is calm is below 1 - `threshold`, so an ordinary
request that shares a word with a crisis ("pills for my diabetes") stays calm unless the examples say otherwise.
What it heard is named by the example it is nearest to, for staff reading why ("near 'i took a bottle of
advil'"); the person's words are never logged.

Staff teach it by adding the message that went wrong to the examples, with its kind: a missed crisis as its
kind, a false alarm as calm. `python -m bot check` warns, at its line, about an example the bot does not then
hear as labelled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from bot.core.text import fold

ExampleKind = Literal["suicide", "suicide_now", "danger", "calm"]
KINDS: tuple[ExampleKind, ...] = ("suicide", "suicide_now", "danger", "calm")
THRESHOLD = 0.8  # the default chance of a crisis from which the model alarms (the file's `threshold` sets it)
# How closely the model fits its examples: high, as every example is a real message staff chose; lower values
# let a single word decide more often (on the sixth batch, C=1 heard 6 fewer crisis phrases at no fewer alarms).
FIT = 10.0
# Shorter messages are left to the phrases: a word or two ("ya", "si", "tama na") shares letters with too many
# examples to tell apart, and the crisis ones that short ("kms", "ayoko na") are phrases already.
MIN_WORDS = 3
_APOSTROPHES = re.compile(r"['’`]")


@dataclass(frozen=True, slots=True)
class Example:
    """One message as a person typed it, and what it means (suicide_now: suicide happening now)."""

    text: str
    lang: str
    kind: ExampleKind


@dataclass(frozen=True, slots=True)
class Guess:
    """What the model heard: the kind, whether it is happening now, how sure it is that this is a crisis, and
    the example it is nearest to."""

    kind: Literal["suicide", "danger"]
    now: bool
    chance: float
    nearest: str
    lang: str


def plain(text: str) -> str:
    """The message as the model reads it: lower case, accents and apostrophes off ("J'ai" -> "jai")."""
    return fold(_APOSTROPHES.sub("", text.casefold()))


@dataclass(frozen=True, eq=False, slots=True)
class Learned:
    """The fitted model, its examples and the threshold it alarms from."""

    examples: tuple[Example, ...]
    threshold: float
    features: Any  # sklearn's FeatureUnion of two TfidfVectorizers (no type stubs)
    model: Any  # sklearn's LogisticRegression (no type stubs)
    matrix: Any  # the examples' feature rows (scipy sparse), for the nearest example

    def guess(self, text: str) -> Guess | None:
        """The crisis the model hears in `text`, or None when it is more likely calm than `threshold` allows."""
        read = plain(text)
        if not self.examples or len(read.split()) < MIN_WORDS:
            return None
        row = self.features.transform([read])
        heard = self._read(row)[0]
        if heard is None:
            return None
        kind, now, chance = heard
        nearest = self._nearest(row, ("suicide", "suicide_now") if kind == "suicide" else ("danger",))
        return Guess(kind, now, chance, nearest.text, nearest.lang)

    def kinds(self, texts: Sequence[str]) -> list[Literal["suicide", "danger"] | None]:
        """What the model hears in each text ("suicide", "danger" or None), all at once (for `check`)."""
        read = [plain(t) for t in texts]
        long = [r for r in read if len(r.split()) >= MIN_WORDS]
        if not self.examples or not long:
            return [None] * len(texts)
        heard = iter(self._read(self.features.transform(long)))
        return [(None if (h := next(heard)) is None else h[0]) if len(r.split()) >= MIN_WORDS else None for r in read]

    def _read(self, rows: Any) -> list[tuple[Literal["suicide", "danger"], bool, float] | None]:
        column = {k: i for i, k in enumerate(self.model.classes_)}
        out: list[tuple[Literal["suicide", "danger"], bool, float] | None] = []
        for chances in self.model.predict_proba(rows):
            p = {k: float(chances[column[k]]) if k in column else 0.0 for k in KINDS}
            crisis = 1.0 - p["calm"]
            if crisis < self.threshold:
                out.append(None)
                continue
            kind: Literal["suicide", "danger"] = (
                "suicide" if p["suicide"] + p["suicide_now"] >= p["danger"] else "danger"
            )
            out.append((kind, kind == "danger" or p["suicide_now"] > p["suicide"], crisis))
        return out

    def _nearest(self, row: Any, kinds: tuple[str, ...]) -> Example:
        scores = np.asarray((self.matrix @ row.T).todense()).ravel()
        order = np.argsort(-scores)
        return next(
            (self.examples[i] for i in order if i < len(self.examples) and self.examples[i].kind in kinds),
            self.examples[0],
        )


NOTHING = Learned((), THRESHOLD, None, None, None)


def learn(examples: Sequence[Example], calm_words: Sequence[str] = (), threshold: float = THRESHOLD) -> Learned:
    """Fit the model on the examples, and on `calm_words` as calm (the search words and small talk people type,
    which are never a crisis on their own). Nothing is learned without an example of a crisis and of calm."""
    return _learn(tuple(examples), tuple(calm_words), threshold)


@lru_cache(maxsize=4)  # pure: the same examples (every test's load, a /reload with no change) fit once
def _learn(examples: tuple[Example, ...], calm_words: tuple[str, ...], threshold: float) -> Learned:
    kinds = {e.kind for e in examples}
    if "calm" not in kinds or not kinds - {"calm"}:
        return NOTHING
    texts = [plain(e.text) for e in examples] + [plain(w) for w in calm_words]
    labels = [e.kind for e in examples] + ["calm"] * len(calm_words)
    features = FeatureUnion(
        [
            ("letters", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )
    matrix = features.fit_transform(texts)
    # tol: a looser stop than sklearn's 1e-4 fits in a third of the time (0.5 s for 1,650 examples), and a bot
    # process fits at every start
    model = LogisticRegression(C=FIT, class_weight="balanced", max_iter=5000, tol=1e-3)
    model.fit(matrix, labels)
    return Learned(examples, threshold, features, model, matrix)
