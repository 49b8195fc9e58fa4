"""The deterministic worker explanation (the default backend), English and Spanish.

Built from the CaseRecord alone: every date, number and page it states is a value of the record (the two
statutory deadlines excepted, see :mod:`.phrases`). A value the record lacks leaves its sentence out; it is
never guessed. The wording is data in :mod:`.phrases`; this module only chooses and fills sentences.

Layout (one screen): who and when; the decision, item by item (bold line + "Why:"), or, past
``GROUP_ABOVE`` items, grouped under "Approved" / "Still denied" with items that share a reason listed
together; what happens next; the right to appeal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..models import CaseRecord, Citation, Item
from .phrases import GROUP_ABOVE, INLINE_GLOSS_WORDS, MAX_REASONS, PHRASES, RECORDS_LACK, REASONS, STATUTORY_NUMBERS
from .plain import (
    Name,
    find_glosses,
    term_as_subject,
    word_keys,
    amount_in_rationale,
    clean_name,
    date_words,
    join_words,
    num,
    numbers_in,
    iter_record_numbers,
    usual_record_numbers,
    unit_words,
)

Part = tuple[Any, ...]

_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z\"(])")
_RECORDS_LACK = re.compile(RECORDS_LACK, re.IGNORECASE)
_COMPILED = [(r, re.compile(r["topic"], re.IGNORECASE)) for r in REASONS]
_COUNTABLE = {"visit", "session", "treatment"}


@dataclass
class ItemView:
    index: int
    item: Item
    name: Name
    outcome: str  # "overturned" | "upheld"
    parts: list[Part] = field(default_factory=list)
    amount: float | None = None
    avoid: frozenset[str] = frozenset()  # the other items' words (see plain.find_glosses)


# ------------------------------------------------------------------------------------------ reasons


#: ``_SENT_SPLIT`` with the mark in the match instead of a lookbehind, so the regex engine jumps to the marks
#: instead of trying the lookbehind at every character; group 1 is ``_SENT_SPLIT``'s match (same places: a
#: match holds no mark, so the mark before the next one is never inside the last).
_SENT_GAP = re.compile(r"[.!?]([\"')\]]*\s+)(?=[A-Z\"(])")


def _split(text: str) -> list[str]:
    """``_SENT_SPLIT.split(text)``."""
    out: list[str] = []
    pos = 0
    for m in _SENT_GAP.finditer(text):
        a, b = m.span(1)
        out.append(text[pos:a])
        pos = b
    out.append(text[pos:])
    return out


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _split(" ".join(text.split())) if s.strip()]


def _rule_ids(item: Item, conclusion: bool) -> list[str]:
    if item.rationale is None:
        return []
    text = " ".join(item.rationale.value.split())
    sentences = [s.strip() for s in _split(text) if s.strip()]  # _sentences
    # In ASCII a case-insensitive topic matches only a sentence that holds one of its words in lower case
    # (None: not ASCII, every rule is tried). An ASCII sentence lower-cased is a piece of the whole text
    # lower-cased (ASCII letters lower alone), so only the needs the whole text holds are looked for in it,
    # and a rule none of whose needs it holds is not tried on an ASCII sentence at all.
    low_text = text.lower()
    all_ascii = text.isascii()
    lowered: list[str | None] | None = None
    fired: list[str] = []
    groups: set[str] = set()
    for rule, rx in _COMPILED:
        if rule["when"] is not conclusion or len(fired) >= MAX_REASONS:
            continue
        needs = [w for w in rule["needs"] if w in low_text]
        if not needs and all_ascii:
            continue
        if lowered is None:
            lowered = [s.lower() if s.isascii() else None for s in sentences]
        for s, low in zip(sentences, lowered):
            if low is not None:
                for w in needs:
                    if w in low:
                        break
                else:
                    continue
            m = rx.search(s)
            if not m:
                continue
            if rule.get("negated") and not _RECORDS_LACK.search(s[: m.end() + 40]):
                continue
            if rule.get("records") and not conclusion and not _RECORDS_LACK.search(s):
                continue
            if conclusion and re.search(r"\b(?:not|no|lack)\b", s, re.IGNORECASE) and rule["id"] == "records_support":
                continue
            fired.append(rule["id"])
            if rule.get("group"):
                groups.add(rule["group"])
            break
        if "ancillary" in groups:
            break  # "the surgery was denied, so this is too" is the whole reason
    return fired


def _guide_key(cites: list[Citation]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """What the explanation says about the citations: their sources and pages (so items can share a reason)."""
    order: list[str] = []
    pages: dict[str, list[int]] = {}
    for c in cites:
        if c.source not in order:
            order.append(c.source)
            pages[c.source] = []
        for pg in c.pages:
            if pg not in pages[c.source]:
                pages[c.source].append(pg)
    return tuple((src, tuple(pages[src])) for src in order)


def _guide_text(key: tuple[tuple[str, tuple[int, ...]], ...], lang: str, named: set[str]) -> str:
    """The sources in plain words; a source already ``named`` in the text gets its short name."""
    p = PHRASES[lang]
    order = [src for src, _ in key]
    pages = {src: list(pg) for src, pg in key}
    parts = []
    for src in order:
        pg = pages[src]
        if not pg:
            page_txt = ""
        elif len(pg) == 1:
            page_txt = p["page_one"].format(p=pg[0])
        else:
            page_txt = p["page_many"].format(ps=join_words([str(x) for x in pg], lang))
        table = p["guide_again"] if src in named else p["guide"]
        named.add(src)
        parts.append(table[src].format(pages=f", {page_txt}" if page_txt else "",
                                       paren_pages=f" ({page_txt})" if page_txt else ""))
    return join_words(parts, lang)


def _parts(view: ItemView, lang: str, warnings: list[str]) -> list[Part]:
    it = view.item
    parts: list[Part] = []
    if it.guidelines:
        parts.append(("guides", _guide_key(it.guidelines)))
    elif it.guidelines_none_cited is not None and it.guidelines_none_cited.value:
        parts.append(("guides_none",))
    mn = it.medically_necessary.value if it.medically_necessary is not None else None
    decided_yes = view.outcome == "overturned"
    consistent = mn is None or mn == decided_yes
    if not consistent:
        warnings.append(
            f"item {view.index + 1}: the rationale concludes {'medically necessary' if mn else 'not medically necessary'} "
            f"but the decision is {view.outcome}; the explanation follows the decision and leaves the conclusion out"
        )
    conclusion = decided_yes
    lim = it.limit.value if it.limit is not None else None
    if lim is not None and (lim.min is not None or lim.max is not None):
        parts.append(("limit", lim.min, lim.max, (lim.unit or "").lower()))
        unit = (it.unit.value if it.unit else "") or ""
        same_kind = unit.lower().rstrip("s") in _COUNTABLE and (lim.unit or "").lower().rstrip("s") in _COUNTABLE
        if same_kind and view.amount is not None and lim.max is not None:
            if not conclusion and view.amount > lim.max:
                parts.append(("over_limit",))
            elif conclusion and view.amount <= lim.max:
                parts.append(("within_limit",))
    for rid in _rule_ids(it, conclusion) if consistent else []:
        parts.append(("rule", rid))
    if ("rule", "exceeds") in parts and ("over_limit",) in parts:
        parts.remove(("over_limit",))
    if (not conclusion and lim is not None and lim.max is not None and view.amount is not None
            and view.amount <= lim.max):
        # denied although the count is within the quoted limit (prior care counted, say): the bare limit
        # would read as a contradiction, so the rationale's own words carry the reason
        parts = [x for x in parts if x[0] != "limit"]
    if consistent and mn is not None:
        parts.append(("mn", mn))
    else:
        parts.append(("decision", view.outcome))
    return parts


def _render_parts(parts: list[Part], lang: str, plural: bool, named: set[str]) -> str:
    p = PHRASES[lang]
    n = "pl" if plural else "sg"
    out: list[str] = []
    rules = {r["id"]: r for r in REASONS}
    for part in parts:
        kind = part[0]
        if kind == "guides":
            out.append(p[f"guides_used_{n}"].format(guides=_guide_text(part[1], lang, named)))
        elif kind == "guides_none":
            out.append(p[f"guides_none_{n}"])
        elif kind == "rule":
            out.append(rules[part[1]][f"{lang}_{n}"])
        elif kind == "limit":
            lo, hi, unit = part[1], part[2], part[3]
            u = unit_words(unit, hi if hi is not None else lo, lang)
            if lo is not None and hi is not None and lo != hi:
                out.append(p["limit_range"].format(lo=lo, hi=hi, unit=u))
            elif hi is not None:
                out.append(p["limit_max"].format(hi=hi, unit=u))
            else:
                out.append(p["limit_min"].format(lo=lo, unit=u))
        elif kind == "over_limit":
            out.append(p[f"over_limit_{n}"])
        elif kind == "within_limit":
            out.append(p[f"within_limit_{n}"])
        elif kind == "mn":
            out.append(p[f"mn_yes_{n}"] if part[1] else p[f"mn_no_{n}"])
        elif kind == "decision":
            out.append(p[f"disagree_denial_{n}"] if part[1] == "overturned" else p[f"agree_denial_{n}"])
    return " ".join(out)


# ------------------------------------------------------------------------------------------ names


def _frequency_total(item: Item) -> float | None:
    """The total of a request the letter states as a frequency, when the letter also states that total."""
    if item.quantity is None:
        return None
    q = float(item.quantity.value)
    quote = item.quantity.evidence.quote if item.quantity.evidence else ""
    if re.search(r"\b(?:times?|x)\b", quote, re.IGNORECASE) and amount_in_rationale(item, q):
        if num(q) in numbers_in(item.treatment.value):
            return None  # the name already says it ("x 12")
        return q
    return None


def _display(view: ItemView, lang: str, used_glosses: set[str], *, inline: bool = True) -> tuple[str, list[str]]:
    """The item's name for the text, and (when ``inline`` is false) its glosses as sentences of their own."""
    p = PHRASES[lang]
    glossed, pairs = find_glosses(view.name.text, lang, used_glosses, avoid=view.avoid)
    text = glossed if inline else view.name.text
    gloss_sents = [] if inline else [p["gloss_sentence"].format(term=term_as_subject(t), gloss=g) for t, g in pairs]
    extras = []
    total = _frequency_total(view.item)
    if total is not None:
        unit = view.item.unit.value if view.item.unit else None
        extras.append(f"{num(total)} {unit_words(unit, total, lang)} {p['total_items']}".strip())
    if view.name.service_date is not None:
        extras.append(p["dos"].format(date=date_words(view.name.service_date, lang)))
    if view.name.retro:
        extras.append(p["retro"])
    if extras:
        text += ", " + ", ".join(extras)
    return text, gloss_sents


def _partial_sentence(item: Item, lang: str) -> str | None:
    if item.authorized is None:
        return None
    # Only what was authorized: the original request's amount is not what this review decided, and a count
    # next to "asked for" reads as the amount in dispute.
    return PHRASES[lang]["partial"].format(authorized=clean_name(item.authorized.value, lang).text)


# ------------------------------------------------------------------------------------------ the text


def _intro(record: CaseRecord, lang: str) -> list[str]:
    p = PHRASES[lang]
    sents: list[str] = []
    d = record.dates
    if d.injury is not None:
        sents.append(p["injury"].format(date=date_words(d.injury.value, lang)))
    age = record.worker.age.value if record.worker.age is not None else None
    sex = record.worker.sex.value if record.worker.sex is not None else None
    if lang == "es":
        sex_intro = p["sex"].get(sex or "", "")
        if age is not None and sex:
            sents.append(p["who_age_sex"].format(sex_intro=sex_intro, age=age))
        elif age is not None:
            sents.append(p["who_age"].format(age=age))
        elif sex:
            sents.append(p["who_sex"].format(sex_intro=sex_intro))
    else:
        if age is not None and sex:
            sents.append(p["who_age_sex"].format(age=age, sex=p["sex"][sex]))
        elif age is not None:
            sents.append(p["who_age"].format(age=age))
        elif sex:
            sents.append(p["who_sex"].format(sex=p["sex"][sex]))
    ur = record.summary.utilization_review
    ur_date = d.ur_decision.value if d.ur_decision is not None else (
        ur.date.value if ur is not None and ur.date is not None else None)
    modified = ur is not None and ur.outcome is not None and ur.outcome.value in ("modified", "partially approved")
    key = "ur_modified" if modified else "ur_denied"
    if ur_date is not None:
        sents.append(p[key + "_date"].format(date=date_words(ur_date, lang)))
    elif ur is not None and ur.outcome is not None:
        sents.append(p[key])
    sents.append(p["expert"])
    if d.determination is not None:
        sents.append(p["determination"].format(date=date_words(d.determination.value, lang)))
    return sents


def render(record: CaseRecord, lang: str = "en") -> tuple[str, list[str]]:
    """The explanation (Markdown) and the warnings met while writing it."""
    if lang not in PHRASES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(PHRASES)}")
    p = PHRASES[lang]
    warnings: list[str] = []
    lines: list[str] = [p["title"], ""]
    if record.letter.case_number is not None:
        lines += [p["case"].format(case=record.letter.case_number.value), ""]
    lines += [" ".join(_intro(record, lang)), ""]

    views: list[ItemView] = []
    for i, it in enumerate(record.items):
        name = clean_name(it.treatment.value, lang)
        v = ItemView(i, it, name, it.decision.value)
        if it.quantity is not None:
            v.amount = float(it.quantity.value)
        v.parts = _parts(v, lang, warnings)
        views.append(v)
    keys = [word_keys(v.item.treatment.value) for v in views]  # (each name read once, not once per other item)
    for v, own in zip(views, keys):
        others = set().union(*(k for w, k in zip(views, keys) if w is not v)) if len(views) > 1 else set()
        v.avoid = frozenset(others - own)

    used: set[str] = set()  # glossary terms already explained
    named: set[str] = set()  # guideline sources already named in full
    if views:
        lines += [p["h_decision"], ""]
    else:
        warnings.append("the record has no items; the explanation states no decision")
    grouped = len(views) > GROUP_ABOVE
    mixed = len({v.outcome for v in views}) > 1
    for outcome in ("overturned", "upheld"):
        vs = [v for v in views if v.outcome == outcome]
        if not vs:
            continue
        if grouped:
            lines += [p["h_approved"] if outcome == "overturned" else p["h_denied"], ""]
        # items sharing a reason are listed together (only when grouped)
        buckets: list[list[ItemView]] = []
        for v in vs:
            key = tuple(v.parts)
            partial = _partial_sentence(v.item, lang)
            for b in buckets:
                if tuple(b[0].parts) == key and partial is None and _partial_sentence(b[0].item, lang) is None:
                    b.append(v)
                    break
            else:
                buckets.append([v])
        for b in buckets:
            plural = len(b) > 1
            if len(b) == 1 or not grouped:
                for v in b:
                    name, glosses = _display(v, lang, used, inline=False)
                    lines += [p["item_line"].format(name=name, outcome=p["outcome"][outcome]), ""]
                    if glosses:
                        lines += [" ".join(glosses), ""]
            else:
                for v in b:
                    inline = len(v.name.text.split()) <= INLINE_GLOSS_WORDS
                    name, glosses = _display(v, lang, used, inline=inline)
                    lines.append(p["bullet"].format(name=name, outcome=p["outcome"][outcome])
                                 + "".join(" " + g for g in glosses))
                lines.append("")
            partial = _partial_sentence(b[0].item, lang)
            if partial:
                lines += [partial, ""]
            lines += [p["why"].format(reason=_render_parts(b[0].parts, lang, plural, named)), ""]
        if mixed:
            lines += [p["next_group"][outcome], ""]

    approved = [v for v in views if v.outcome == "overturned"]
    denied = [v for v in views if v.outcome == "upheld"]
    if not mixed and (approved or denied):
        lines += [p["h_next"], ""]
        if approved:
            lines.append(p["next_approved_only_pl" if len(approved) > 1 else "next_approved_only_sg"])
        else:
            lines.append(p["next_denied_only_pl" if len(denied) > 1 else "next_denied_only_sg"])
        lines.append("")

    ia_gloss = _ia_gloss(lang)
    lines += [p["h_appeal"], ""]
    lines.append(" ".join(s.format(ia_gloss=ia_gloss) for s in p["appeal"]))
    text = "\n".join(lines).rstrip() + "\n"
    warnings += self_check(text, record)
    return text, warnings


def _ia_gloss(lang: str) -> str:
    from .plain import gloss_terms

    for g in gloss_terms():
        if g.term.lower().startswith("information & assistance"):
            return PHRASES[lang]["ia_gloss"].format(gloss=g.en if lang == "en" else g.es)
    return ""


def self_check(text: str, record: CaseRecord) -> list[str]:
    """Numbers in ``text`` the record cannot vouch for (statutory deadlines aside). Empty when clean."""
    stated = numbers_in(text)
    unvouched = {float(n) for n in stated} - {float(x) for x in STATUTORY_NUMBERS}
    if unvouched:  # the usual places first; then walk the record only until every number is found in it
        unvouched -= usual_record_numbers(record)
    if unvouched:
        for x in iter_record_numbers(record):
            unvouched.discard(x)
            if not unvouched:
                break
    bad = sorted({n for n in stated if float(n) in unvouched}, key=float)
    return [f"the explanation states {n}, which the record does not hold" for n in bad]
