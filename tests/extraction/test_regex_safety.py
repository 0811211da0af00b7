"""Every regular expression that runs on page text finishes in linear-ish time on hostile input.

Pages are written by strangers. A pattern with nested or adjacent overlapping quantifiers can
backtrack for minutes on a crafted line (a byline rule once took 3.5 s on a 200-character first
line), and one such page would hang every pass that fetches it. The test collects the compiled
patterns of the hot-path modules itself, so a rule added later is covered without editing this file,
and feeds each one runs of the characters it loops over, behind each word it starts with.
"""

from __future__ import annotations

import re
import re._constants as C
import re._parser as sre_parse
import time
from types import ModuleType

import pytest

from newsmon import redaction, text
from newsmon.extraction import body, byline, cleanup, cleanup_rules, language, page, page_facts, parsing
from newsmon.tagging import matching

HOT_MODULES: tuple[ModuleType, ...] = (
    cleanup_rules,
    cleanup,
    page_facts,
    body,
    language,
    page,
    byline,
    parsing,
    text,
    redaction,
)
BUDGET_S = 0.05  # per search on a 10,000-character input; linear patterns take well under 5 ms

# What backtracking feeds on: letters of both cases, spaces, digits, punctuation that names and
# dates are made of, brackets of shortcodes, and mixtures of these.
FILLERS = (
    "a", "A", "Aa", "aA", "Ab ", "A ", "a ", " ", "\t", "1", "1 ", "a1", "1a", ".", "A.", "a.", "-",
    "a-", "_", "a_", "/", "[", "[a", "[a ", "a=", "]", ":", "@", "&", "'", "A'", "é", ", ", "and ",
)  # fmt: skip


def _patterns(value: object, name: str) -> list[tuple[str, re.Pattern[str]]]:
    if isinstance(value, re.Pattern):
        return [(name, value)]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _patterns(v, f"{name}[{k!r}]")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _patterns(v, f"{name}[{i}]")]
    return []


def hot_patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = [
        p
        for module in HOT_MODULES
        for key, value in vars(module).items()
        for p in _patterns(value, f"{module.__name__}.{key}")
    ]
    # The tagger builds its patterns from config/topics.yaml; these are the shapes its builder
    # makes, searched as context_regex searches them (term patterns are only matched at a start).
    for form in ("nuclear* weapon*", "arms control", "non-prolif*", "a* b* c*"):
        built = re.compile(r"(?<!\w)(?:" + matching.wildcard_regex(form).pattern + ")")
        found.append((f"wildcard_regex({form!r})", built))
    return [(name, p) for name, p in found if isinstance(p.pattern, str)]


PATTERNS = hot_patterns()


def lead_words(pattern: re.Pattern[str]) -> list[str]:
    """Words the pattern spells out (lower case, and capitalised): most rules only loop after one."""
    words = sorted(set(re.findall(r"[a-z]{2,}", pattern.pattern.lower())))[:60]
    return ["", *(w + " " for w in words), *(w.capitalize() + " " for w in words[:20])]


def timed(pattern: re.Pattern[str], value: str) -> float:
    started = time.perf_counter()
    pattern.search(value)
    return time.perf_counter() - started


def slowest(pattern: re.Pattern[str], inputs: list[str], budget: float = BUDGET_S) -> tuple[float, str]:
    worst = (0.0, "")
    for value in inputs:
        took = timed(pattern, value)
        if took > budget:
            # The machine is shared: an over-budget time counts only if it repeats.
            took = min(took, timed(pattern, value), timed(pattern, value))
        if took > worst[0]:
            worst = (took, value)
        if took > budget:  # no need to wait for the rest: it already failed
            break
    return worst


def test_the_hot_path_patterns_were_collected():
    names = {name for name, _ in PATTERNS}
    assert len(PATTERNS) > 25
    assert "newsmon.extraction.cleanup_rules.BYLINE" in names
    assert "newsmon.extraction.cleanup_rules.FURNITURE['newsletter']" in names


@pytest.mark.parametrize("name, pattern", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_no_pattern_backtracks_on_a_long_first_line(name, pattern):
    # Behind each of its words, 200 characters of each filler: enough for cubic backtracking to
    # take seconds, little enough to try every combination quickly.
    inputs = [
        f"{lead}{filler * (200 // len(filler) + 1)}{end}"
        for lead in lead_words(pattern)
        for filler in FILLERS
        for end in ("", "!", "\nA normal second line.")
    ]
    took, value = slowest(pattern, inputs)
    assert took < BUDGET_S, f"{name} took {took * 1000:.0f} ms on {value[:60]!r}... ({len(value)} chars)"


@pytest.mark.parametrize("size", [1_000, 10_000, 50_000])
@pytest.mark.parametrize("name, pattern", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_no_pattern_is_quadratic_on_long_runs(name, pattern, size):
    budget = BUDGET_S * max(1, size / 10_000)
    inputs = [filler * (size // len(filler)) + "!" for filler in FILLERS]
    inputs += [f"{lead}{'A' * size}\nrest" for lead in lead_words(pattern)[:8]]
    took, value = slowest(pattern, inputs, budget)
    assert took < budget, f"{name} took {took * 1000:.0f} ms on {value[:60]!r}... ({len(value)} chars)"


# --- patterns behind a lookahead of their first characters (cleanup_rules.starting_with) ----------


def first_characters(items: list[tuple[object, object]]) -> tuple[set[str], bool]:
    """The characters a match of this parsed sequence can start with, and whether it can match
    without consuming one. Raises ValueError where a match could start with any character."""
    found: set[str] = set()
    for op, av in items:
        chars, empty = _first_of(op, av)
        found |= chars
        if not empty:
            return found, False
    return found, True


def _first_of(op: object, av: object) -> tuple[set[str], bool]:
    if op is C.LITERAL:
        return {chr(av)}, False  # type: ignore[arg-type]
    if op is C.IN and all(kind in (C.LITERAL, C.RANGE) for kind, _ in av):  # type: ignore[attr-defined]
        chars = set()
        for kind, value in av:  # type: ignore[attr-defined]
            low, high = (value, value) if kind is C.LITERAL else value
            chars |= {chr(c) for c in range(low, high + 1)}
        return chars, False
    if op is C.AT:
        return set(), True  # ^, \b: no character
    if op is C.SUBPATTERN:
        return first_characters(av[-1])  # type: ignore[index]
    if op is C.BRANCH:
        results = [first_characters(branch) for branch in av[1]]  # type: ignore[index]
        return set().union(*(r[0] for r in results)), any(r[1] for r in results)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _high, inner = av  # type: ignore[misc]
        chars, empty = first_characters(inner)
        return chars, empty or low == 0
    raise ValueError(f"a match may start with any character ({op})")


LOOKAHEAD_PATTERNS = [
    (name, p) for name, p in PATTERNS if sre_parse.parse(p.pattern, p.flags)[0][0] is C.ASSERT
]


def test_some_patterns_open_with_their_first_characters() -> None:
    names = {name for name, _ in LOOKAHEAD_PATTERNS}
    assert "newsmon.extraction.cleanup_rules.PAYWALL" in names


@pytest.mark.parametrize("name, pattern", LOOKAHEAD_PATTERNS, ids=[n for n, _ in LOOKAHEAD_PATTERNS])
def test_the_lookahead_lists_every_first_character(name: str, pattern: re.Pattern[str]) -> None:
    """`(?=[abc])(?:P)` finds what P finds only if every match of P starts with a, b or c."""
    parsed = list(sre_parse.parse(pattern.pattern, pattern.flags))
    (_, (direction, lookahead)), rest = parsed[0], parsed[1:]
    assert direction == 1, "a lookahead, not a lookbehind"
    allowed, _ = first_characters(list(lookahead))
    starts, empty = first_characters(rest)
    assert not empty, "the pattern can match the empty string"
    fold = str.lower if pattern.flags & re.IGNORECASE else str
    assert {fold(c) for c in starts} <= {fold(c) for c in allowed}, (
        f"not in the lookahead: {starts - allowed}"
    )
