"""Explanation checks: every date, number, page, treatment, outcome and deadline of a plain-language
explanation (plain text or Markdown, English or Spanish) against what the letter says.

The explanation is read once (:class:`Reading`): Markdown syntax is blanked out in place (offsets stay
those of the text as given), then sentences, dates (any format), pages, counted amounts (digits and
words), ages, sex words, outcome statements with their polarity and negation, the items each statement
is about, the treatments named as requested or decided, and deadlines. The letter side is
:class:`~imrassist.checks.facts.LetterFacts` (the letter text united with the reference record).

Severity (DESIGN.md: error = contradicts the letter, warning = not supported / cannot be verified):

* ``date`` error: a date the letter does not state, or one it states in another role while it states
  this role's date ("hurt at work on <UR date>"); warning: a role the letter never dates.
* ``count`` error: a number of a noun the letter counts, but never with that number ("3 mm" vs "5 mm",
  "one month" vs "three months"; a requested amount that is none the letter states as asked for: the
  amount under review, the original request, the request for authorization); warning: a number of a noun
  the letter never counts. A frequency x duration ("2X4", "2 times a week for 4 weeks") states its parts
  and its visit total.
* ``page`` error: a page the letter does not cite.
* ``decision`` error: an outcome statement that contradicts the item's Upheld/Overturned. A statement
  about the first review is UR's, not the IMR's: "denied at first" (UR denied every disputed item) and,
  for a modified request, "the 6 visits that were already approved" / "6 more were approved" (UR's part).
* ``treatment`` error: a treatment named as requested or decided that is no disputed item, or a disputed
  item put on another body region or side than the letter's ("lumbar fusion" for a cervical fusion).
* ``deadline`` error: an appeal window other than 30 days, an implementation deadline other than 5
  working days (authorisation) / 20 days (reimbursement), 8 CCR 9792.10.7.
* ``demographic`` error: an age or sex that contradicts the letter's worker.
* ``guideline`` error: a guideline source (MTUS, ACOEM, ODG) the letter does not cite.
* ``missing`` error: an item without any outcome statement, or no appeal right (the Workers'
  Compensation Appeals Board and the 30-day window). These are errors, not DESIGN.md's default warning,
  because an explanation without them misinforms the worker about the decision or costs them a legal right
  (the shared manifest's ``bad-missing`` cases expect ``error``); warning: no "what happens next".
* ``readability`` warning: Flesch-Kincaid grade above 6 (English); Fernandez-Huerta score below 70
  (Spanish; 70-80 is "bastante fácil", the grade-6 band of that scale), measured by
  :func:`imrassist.explain.readability.measure` so the check and the explainer report the same grade.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from ..parse import SEX_RE, find_age, matches_at, norm_words, parse_sex, search_from_stems, stem_positions
from .common import (
    holds_match,
    _STOP,
    Count,
    StemScan,
    _count_matches,
    _WORD_MAP,
    _digit_runs,
    body_regions,
    body_sides,
    _noun_key,
    _number,
    core_of,
    core_words,
    dates_in,
    distinctive,
    find_counts,
    fold,
    frequencies,
    heading_lines,
    mapped_words,
    page_refs,
    paragraphs,
    sentences,
    spans_holding,
    spanish_age,
    stem_family,
    strip_markdown,
)
from .facts import ItemFact, LetterFacts, squash_text
from .registry import CheckContext, per_call, register

APPEAL_DAYS = 30  # Labor Code 4610.6(h), 8 CCR 9792.10.7(c): petition to the WCAB within 30 days of mailing
AUTHORIZE_WORKING_DAYS = 5  # 8 CCR 9792.10.7(a)(2): services not yet rendered
REIMBURSE_DAYS = 20  # 8 CCR 9792.10.7(a)(1): services already rendered
FK_GRADE_MAX = 6.0
FERNANDEZ_HUERTA_MIN = 70.0

# ------------------------------------------------------------------------------------------------ cues

_CUES = {
    "en": {
        "injury": r"hurt|injur(?:ed|y|ies)|accident|date\s+of\s+injury",
        "ur_decision": r"utilization\s+review|\bUR\b|claims\s+administrator'?s\s+(?:review|doctor)|said\s+no|turned\s+down"
                       r"|denied\s+(?:the|your|this)\s+request|first\s+review|insurer'?s\s+review",
        "service": r"service\s+date|date\s+of\s+service|\bDOS\b",
        "determination": r"decision\s+date|date\s+of\s+(?:the\s+)?decision|decided\s+on|final\s+determination|decision\s+was\s+(?:made|issued|dated)|IMR\s+decision\s+(?:on|dated)",
        "application_received": r"appli(?:ed|cation)",
        "assigned": r"assigned",
    },
    "es": {
        "injury": r"lastim|lesi[oó]n|lesion[oó]|accidente|fecha\s+de\s+(?:la\s+)?lesi[oó]n",
        "ur_decision": r"revisi[oó]n\s+de\s+utilizaci[oó]n|\bUR\b|revisi[oó]n\s+del\s+administrador|dijo\s+que\s+no|neg[oó]\s+la\s+solicitud"
                       r"|rechaz[oó]|primera\s+revisi[oó]n",
        "service": r"fecha\s+de(?:l)?\s+servicio|\bDOS\b",
        "determination": r"fecha\s+de\s+(?:la\s+)?decisi[oó]n|decidi[oó]\s+el|determinaci[oó]n\s+final",
        "application_received": r"solicitud\s+de\s+(?:la\s+)?(?:IMR|revisi[oó]n)|present[oó]\s+la\s+solicitud",
        "assigned": r"asignad",
    },
}
_CUE_RES = {lang: re.compile("|".join(f"(?P<{k}>{v})" for k, v in cues.items()), re.IGNORECASE) for lang, cues in _CUES.items()}
#: The reviewer summary's labels: "DOI: 11/06/2016", "IMR: received 01/03/2017, assigned ..., determination ...".
_SUMMARY_CUES = {**_CUES["en"],
                 "injury": _CUES["en"]["injury"] + r"|\bDOI\b",
                 "application_received": _CUES["en"]["application_received"] + r"|\breceived\b",
                 "determination": _CUES["en"]["determination"] + r"|\bdetermination\b"}
_CUE_RES["summary"] = re.compile("|".join(f"(?P<{k}>{v})" for k, v in _SUMMARY_CUES.items()), re.IGNORECASE)
#: The words every match of a language's _CUE_RES starts with (lower case; see common.StemScan).
_CUE_STEMS = {
    "en": ("hurt", "injur", "accident", "date", "utilization", "ur", "claims", "said", "turned", "denied", "first",
           "insurer", "service", "dos", "decision", "decided", "final", "imr", "appli", "assigned"),
    "es": ("lastim", "lesi", "accidente", "fecha", "revisi", "ur", "dijo", "neg", "rechaz", "primera", "dos", "decidi",
           "determinaci", "solicitud", "present", "asignad"),
}
_CUE_STEMS["summary"] = _CUE_STEMS["en"] + ("doi", "received", "determination")
_ROLE_WORDS = {"injury": "date of injury", "ur_decision": "utilization review date", "service": "service date",
               "determination": "decision date", "application_received": "application date", "assigned": "assignment date"}

_APPEAL_RE = {
    "en": re.compile(r"appeal|Appeals\s+Board|\bWCAB\b", re.I),
    "es": re.compile(r"apela|Junta\s+de\s+Apelaciones|\bWCAB\b", re.I),
}
_WCAB_RE = {
    "en": re.compile(r"Workers['’]?\s+Compensation\s+Appeals\s+Board|Appeals\s+Board|\bWCAB\b", re.I),
    "es": re.compile(r"Junta\s+de\s+Apelaciones(?:\s+de\s+Compensaci[oó]n\s+(?:de\s+(?:los\s+)?Trabajadores|Laboral))?|\bWCAB\b|Appeals\s+Board", re.I),
}
_MAIL_RE = re.compile(r"mail|correo|envi[oó]|enviad", re.I)
_IMPL_RE = re.compile(r"authori[sz]|implement|\bpay|reimburs|autoriz|pagar|pague|reembols|cumplir", re.I)
#: Every match of _MAIL_RE / _IMPL_RE holds one of these (lower case).
_MAIL_STEMS = ("mail", "correo", "envi")
_IMPL_STEMS = ("authori", "implement", "pay", "reimburs", "autoriz", "pag", "reembols", "cumplir")
_REIMB_RE = re.compile(r"\bpa(?:y|id)|reimburs|pagar|pague|reembols", re.I)
_NEXT_RE = {
    "en": re.compile(
        r"what\s+happens\s+next|next\s+steps?|must\s+(?:now\s+)?(?:authori[sz]e|approve|pay|provide|cover)|"
        r"(?:will|has\s+to|have\s+to)\s+(?:now\s+)?(?:authori[sz]e|approve|pay|provide|cover)|denials?\s+stands?|"
        r"(?:may|can)\s+(?:ask|request)\s+(?:again|for\s+it\s+again)|ask\s+again|new\s+request|talk\s+(?:to|with)\s+your\s+doctor|"
        r"you\s+can\s+(?:now\s+)?get", re.I),
    "es": re.compile(
        r"qu[eé]\s+pasa\s+ahora|qu[eé]\s+sigue|pr[oó]ximos?\s+pasos?|(?:debe|tiene\s+que|deber[aá])\s+(?:ahora\s+)?(?:autorizar|aprobar|pagar|cubrir)|"
        r"(?:negaci[oó]n|denegaci[oó]n)(?:es)?\s+(?:se\s+mantiene|sigue)|(?:volver\s+a\s+pedir|pedir(?:lo)?\s+(?:de\s+nuevo|otra\s+vez))|"
        r"nueva\s+solicitud|hable\s+con\s+su\s+m[eé]dico", re.I),
}
#: Every match of _NEXT_RE / _WCAB_RE holds one of these (lower-cased) within 40 characters of its start.
_NEXT_STEMS = {"en": ("what", "next", "must", "will", "has", "have", "denial", "may", "can", "ask", "new", "talk"),
               "es": ("qu", "pr", "debe", "tiene", "deber", "negaci", "denegaci", "volver", "pedir", "nueva", "hable")}
_WCAB_STEMS = {"en": ("appeals board", "wcab"), "es": ("junta de apelaciones", "wcab", "appeals board")}
#: The words every match of the English _NEXT_RE / _WCAB_RE starts with (see parse.search_from_stems).
_NEXT_STARTS = {"en": ("what", "next", "must", "will", "has", "have", "denial", "may", "can", "ask", "new", "talk",
                       "you")}
_WCAB_STARTS = {"en": ("workers", "appeals", "wcab")}


def _search_from_stems(rx: re.Pattern[str], stems: tuple[str, ...], text: str,
                       starts: tuple[str, ...] = ()) -> re.Match[str] | None:
    """``rx.search(text)``, started where the first of its stems occurs (a long text is not scanned from
    the top with a pattern that cannot match before that); None when no stem occurs. With ``starts``, the
    words every match starts with, an ASCII text is not scanned at all: the pattern is tried only where
    one of them stands (:func:`imrassist.parse.search_from_stems`; an explanation's first stem is often
    near its top, and the pattern's alternation is slow to try at every position after it)."""
    if starts and text.isascii():
        return search_from_stems(rx, starts, text)
    low = text.lower()
    if len(low) != len(text):
        return rx.search(text)
    pos = min((i for i in (low.find(k) for k in stems) if i >= 0), default=-1)
    return rx.search(text, max(0, pos - 40)) if pos >= 0 else None


_UR_SENT_RE = {
    "en": re.compile(r"utilization\s+review|\bUR\b|claims\s+administrator'?s\s+review|turned\s+down|first\s+review"
                     r"|insurer'?s\s+review|claims\s+administrator\s+(?:\w+\s+){0,2}?(?:approved|denied|said"
                     r"|modified|authorized|certified|agreed|turned|partly|partially|allowed|cut)", re.I),
    "es": re.compile(r"revisi[oó]n\s+de\s+utilizaci[oó]n|\bUR\b|revisi[oó]n\s+del\s+administrador|primera\s+revisi[oó]n"
                     r"|administrador\s+de\s+reclamos\s+(?:\w+\s+){0,2}?(?:aprob[oó]|neg[oó]|dijo|modific[oó]|autoriz[oó]|rechaz[oó])", re.I),
}
_REQUEST_RE = {
    "en": re.compile(r"\b(?:asked(?:,[^,]{0,40},)?\s+(?:for|to\s+(?:approve|cover|authori[sz]e))(?:\s+(?:approval|authori[sz]ation)\s+(?:of|for))?|requested\s*:?|request(?:ed)?\s+for|wanted\s+you\s+to\s+(?:have|get))\s+", re.I),
    "es": re.compile(r"\b(?:pidi[oó](?:,[^,]{0,40},)?(?:\s+(?:la\s+)?(?:aprobaci[oó]n|autorizaci[oó]n)\s+(?:de|para))?|solicit[oó](?:\s+(?:la\s+)?(?:aprobaci[oó]n|autorizaci[oó]n)\s+(?:de|para))?)\s+", re.I),
}
#: Every request phrase holds one of these (lower-cased).
_REQUEST_STEMS = {"en": ("ask", "request", "want"), "es": ("pidi", "solicit")}
#: The words every match of a language's _UR_SENT_RE starts with (lower case; see parse.search_from_stems).
_UR_STARTS = {"en": ("utilization", "ur", "claims", "turned", "first", "insurer"),
              "es": ("revisi", "ur", "primera", "administrador")}
#: Every match of a language's _APPEAL_RE / _BUT_NOT holds one of these (lower case): in ASCII text, a
#: sentence without one is not searched.
_APPEAL_STEMS = {"en": ("appeal", "wcab"), "es": ("apela", "junta", "wcab")}
_BUT_STEMS = {"en": ("but",), "es": ("pero",)}
_PLURAL_RE = {
    "en": re.compile(r"\b(?:both|all|these|those|them|each|denials|items|requests|treatments)\b", re.I),
    "es": re.compile(r"\b(?:ambos|ambas|todos|todas|estos|estas|ellos|negaciones|solicitudes|tratamientos)\b", re.I),
}
_SOURCES = {
    "MTUS": re.compile(r"\bMTUS\b|Medical\s+Treatment\s+Utilization\s+Schedule", re.I),
    "ACOEM": re.compile(r"\bACOEM\b", re.I),
    "ODG": re.compile(r"\bODG\b|Official\s+Disability\s+Guidelines", re.I),
}
_SOURCE_STEMS = {"MTUS": ("mtus", "medical treatment utilization"), "ACOEM": ("acoem",), "ODG": ("odg", "official disability")}
_LABEL_WORDS = {"why", "what happens next", "case number", "good news", "note", "por que", "que pasa ahora",
                "numero de caso", "the decision", "la decision", "next step", "next steps", "what this means",
                "your rights", "sus derechos", "decision", "decisión", "result", "resultado", "buenas noticias"}

#: What a worker may get or not that is not the care decided ("you will not get a bill for the MRI").
_NOT_CARE = (r"(?!\s+(?:a\s+|any\s+|your\s+)?(?:bills?|paid|money|charged?|letters?|copy|copies|notice|calls?|answers?"
             r"|help|reply|payments?|refunds?|checks?|raise|worse|better|hurt|sick)\b)")

# Outcome patterns: (regex, polarity, strength). Polarity True = approved (Overturned), False = still denied
# (Upheld). Strength 3 phrases say who decided what; 1-2 words may also describe the UR or a request; 0 is
# what the worker may do, an outcome only where the sentence names an item.
_OUTCOME_EN: list[tuple[str, bool, int]] = [
    (r"disagree(?:s|d)?\s+with\s+(?:the\s+|this\s+|that\s+|their\s+)?(?:\w+\s+){0,3}?(?:denial|decision\s+to\s+deny)", True, 3),
    (r"agree(?:s|d)?\s+with\s+(?:the\s+|this\s+|that\s+|their\s+)?(?:\w+\s+){0,3}?(?:denial|decision\s+to\s+deny)", False, 3),
    (r"agree(?:s|d)?\s+(?:that\s+)?you\s+(?:should|can|may|will|could)\s+(?:get|have|receive)", True, 3),
    (r"(?:denial|denials|decision\s+to\s+deny)\s+(?:\w+\s+){0,2}?(?:is|was|were|are|has\s+been|have\s+been)\s+(?:overturned|reversed|undone|cancell?ed)", True, 3),
    (r"(?:overturned|reversed|undid|cancell?ed)\s+(?:the\s+|this\s+|that\s+)?(?:\w+\s+){0,2}?denials?", True, 3),
    (r"denials?\s+(?:still\s+)?(?:stands?|remains?|stays?|(?:is|was|were)\s+upheld|(?:is|was|were)\s+kept)", False, 3),
    (r"upheld\s+(?:the\s+|this\s+|that\s+)?(?:\w+\s+){0,2}?denials?", False, 3),
    (r"(?:still|remains?|stays?)\s+(?:be\s+)?denied", False, 3),
    (r"\bapprove[sd]?\b", True, 2),
    (r"\bmedically\s+(?:necessary|needed)\b", True, 2),
    (r"\boverturned\b|\breversed\b", True, 2),
    (r"\bupheld\b", False, 2),
    (r"\bsaid\s+yes\b", True, 2),
    (r"\bsaid\s+no\b", False, 2),
    (r"\bauthori[sz]e[sd]?\b|\bcovered\b", True, 1),
    (r"\bdenied\b|\bdenials?\b|\bturned\s+down\b|\brejected\b|\bnon-?certified\b", False, 1),
    # What the worker may now do: an outcome only in a sentence that names an item ("You cannot get the PUSH
    # therapy"), not in "you can get free help" (strength 0: see read_explanation).
    (rf"\byou\s+(?:can|may|will|could)\s+(?:now\s+|still\s+|also\s+)?(?:get|receive)\b{_NOT_CARE}", True, 0),
    (r"\byou\s+(?:cannot|can\s+not|can['’]t|will\s+not|won['’]t|may\s+not|do\s+not|don['’]t|could\s+not|"
     rf"couldn['’]t)\s+(?:now\s+|still\s+|yet\s+)?(?:get|receive)\b{_NOT_CARE}", False, 0),
]
_OUTCOME_ES: list[tuple[str, bool, int]] = [
    (r"(?:no\s+)?estuvo\s+de\s+acuerdo\s+con\s+(?:la\s+|el\s+|esta\s+|esa\s+)?(?:\w+\s+){0,2}?(?:negaci[oó]n|denegaci[oó]n|rechazo)", False, 3),
    (r"(?:de\s+acuerdo|acept[oó])\s+(?:en\s+)?(?:que|con\s+que)\s+(?:usted\s+)?(?:debe|deber[ií]a|puede|pueda|reciba)\s*(?:recibir)?", True, 3),
    (r"(?:negaci[oó]n|denegaci[oó]n|rechazo)(?:es)?\s+(?:\w+\s+){0,2}?(?:se\s+anul[oó]|fue\s+anulad[oa]|qued[oó]\s+anulad[oa]|se\s+revoc[oó]|fue\s+revocad[oa]|se\s+anula|se\s+revierte|fue\s+revertid[oa])", True, 3),
    (r"(?:anul[oó]|revoc[oó]|revirti[oó])\s+(?:la\s+|el\s+)?(?:\w+\s+){0,2}?(?:negaci[oó]n|denegaci[oó]n|rechazo)", True, 3),
    (r"(?:negaci[oó]n|denegaci[oó]n|rechazo)(?:es)?\s+(?:se\s+mantienen?|siguen?|quedan?\s+en\s+pie|(?:fue|fueron)\s+confirmad[oa]s?|se\s+confirm[oó])", False, 3),
    (r"sigue(?:n)?\s+(?:siendo\s+)?(?:negad[oa]s?|denegad[oa]s?|rechazad[oa]s?)", False, 3),
    (r"\baprobad[oa]s?\b|\bse\s+aprob[oó]\b|\baprob[oó]\b|\bse\s+aprueba(?:n)?\b", True, 2),
    (r"\bm[eé]dicamente\s+necesari[oa]s?\b", True, 2),
    (r"\banulad[oa]s?\b|\brevocad[oa]s?\b", True, 2),
    (r"\bdijo\s+que\s+s[ií]\b", True, 2),
    (r"\bdijo\s+que\s+no\b", False, 2),
    (r"\bconfirmad[oa]\b", False, 1),
    (r"\bautoriz(?:ar|ad[oa]s?|[oó]|a)\b|\bcubrir\b", True, 1),
    (r"\bnegad[oa]s?\b|\bdenegad[oa]s?\b|\brechazad[oa]s?\b|\bneg[oó]\b|\bnegaci[oó]n\b|\bdenegaci[oó]n\b", False, 1),
]
_OUTCOME_RES = {
    "en": [(re.compile(p, re.I), pol, st) for p, pol, st in _OUTCOME_EN],
    "es": [(re.compile(p, re.I), pol, st) for p, pol, st in _OUTCOME_ES],
}
#: Each outcome pattern (in the order above) needs one of these stems in the lower-cased sentence: a cheap
#: test before the pattern runs.
_OUTCOME_KEYS = {
    "en": [("disagree",), ("agree",), ("agree",), ("deni", "deny"), ("overturn", "revers", "undid", "cancel"), ("denial",),
           ("upheld",), ("denied",), ("approv",), ("medically",), ("overturn", "revers"), ("upheld",), ("said",), ("said",),
           ("authori", "covered"), ("denied", "denial", "turned", "reject", "certif"), ("you",), ("you",)],
    "es": [("acuerdo",), ("acuerdo", "acept"), ("negaci", "rechazo"), ("anul", "revoc", "revirti"), ("negaci", "rechazo"),
           ("sigue",), ("aprob", "aprueb"), ("dicamente",), ("anulad", "revocad"), ("dijo",), ("dijo",), ("confirmad",),
           ("autoriz", "cubrir"), ("neg", "rechazad")],
}
assert all(len(_OUTCOME_KEYS[k]) == len(v) for k, v in _OUTCOME_RES.items())
_OUTCOME_STEMS = {lang: tuple(sorted({k for keys in v for k in keys})) for lang, v in _OUTCOME_KEYS.items()}
#: Each stem with the patterns that need it, as bits (bit i: pattern i): the patterns a sentence needs are
#: the bits of the stems it holds, looked up once per set of bits.
_OUTCOME_STEM_BITS = {lang: tuple((k, sum(1 << i for i, keys in enumerate(v) if k in keys)) for k in _OUTCOME_STEMS[lang])
                      for lang, v in _OUTCOME_KEYS.items()}


@lru_cache(maxsize=None)  # (a few dozen sets of patterns occur)
def _outcome_pats(lang: str, bits: int) -> tuple[tuple[re.Pattern[str], bool, int], ...]:
    """The outcome patterns whose bits are set, in their order."""
    return tuple(p for i, p in enumerate(_OUTCOME_RES[lang]) if bits >> i & 1)
_NEG_RE = {
    "en": re.compile(r"\b(?:not|no|never|cannot|neither|nor)\b|n['’]t\b", re.I),
    "es": re.compile(r"\b(?:no|nunca|ni)\b", re.I),
}
_COND_RE = {
    "en": re.compile(r"\b(?:whether|if|only\s+when|unless|when)\b", re.I),
    "es": re.compile(r"\b(?:si|solo\s+cuando|a\s+menos\s+que|cuando)\b", re.I),
}
_LATER_RE = re.compile(r"\b(?:later|future|again|new\s+request|another\s+request|next\s+time)\b", re.I)
_DEFINITION_AFTER = re.compile(r"\s*(?:means|quiere\s+decir|significa)\b", re.I)
_GENERIC_BEFORE = {
    "en": re.compile(r"(?:^|[^\w])(?:what|whatever|anything|everything|(?:items?|ones?|parts?|things?)\s+that)\s+(?:\w+\s+){0,2}$", re.I),
    "es": re.compile(r"(?:^|[^\w])(?:lo|lo\s+que|todo\s+lo\s+que|los\s+que|las\s+que)\s+(?:\w+\s+){0,2}$", re.I),
}
#: A sentence that opens with "What was approved:" / "Lo que sigue negado:" is about that group, whatever it holds.
_GENERIC_LABEL = {
    "en": re.compile(r"\s*(?:what|whatever|everything|anything|(?:the\s+)?(?:items?|parts?|ones?|things?)\s+that)\s+"
                     r"(?:\w+\s+){0,3}?(?:approved|denied|upheld|overturned)\s*:", re.I),
    "es": re.compile(r"\s*(?:lo|lo\s+que|todo\s+lo\s+que|los\s+que|las\s+que)\s+(?:\w+\s+){0,3}?"
                     r"(?:aprobad[oa]s?|negad[oa]s?|denegad[oa]s?|rechazad[oa]s?)\s*:", re.I),
}
_GROUP_RE = {
    "en": re.compile(r"\b(?:approved|denied|still[-\s]denied|overturned|upheld)\s+(?:items?|ones?|services?|treatments?|requests?|parts?|things?)\b"
                     r"|\b(?:items?|ones?|services?|treatments?|requests?|parts?|things?)\s+that\s+(?:are|were|was|is|have\s+been)\s+"
                     r"(?:still\s+|now\s+)?(?:approved|denied|upheld|overturned)", re.I),
    "es": re.compile(r"\b(?:tratamientos?|servicios?|solicitud(?:es)?|puntos?|partes?)\s+(?:que\s+(?:fueron|fue|est[aá]n?|siguen|sigue)\s+)?"
                     r"(?:aprobad|negad|denegad|rechazad)", re.I),
}
#: Every match of _GROUP_RE holds one of these (lower case): the word for the group.
_GROUP_STEMS = {"en": ("item", "one", "service", "treatment", "request", "part", "thing"),
                "es": ("tratamiento", "servicio", "solicitud", "punto", "parte")}
#: "All"/"both" that quantify the items ("both requests", "all of them", "they were all denied"), not
#: "in all", "each evening" or "both knees".
_ALL_RE = {
    "en": re.compile(r"\bboth\b(?!\s+(?:sides?|knees?|shoulders?|hips?|wrists?|hands?|arms?|legs?|feet|ankles?|elbows?|eyes|ears)\b)"
                     r"|\ball\s+(?:of\s+)?(?:the\s+|your\s+|these\s+|those\s+|this\s+)?(?:\w+\s+)?(?:requests?|items?|treatments?|services?|things?|parts?)\b"
                     r"|\ball\s+(?:of\s+(?:them|these|those|it)|(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\b|requested|disputed)"
                     r"|\b(?:them|they|these|those|were|are)\s+all\b|\b(?:each|every)\s+(?:one|request|item|treatment|service|of\s+them)\b"
                     r"|\beverything\b", re.I),
    "es": re.compile(r"\b(?:ambos|ambas)\b(?!\s+(?:lados|rodillas|hombros|manos|brazos|piernas|pies|mu[nñ]ecas|caderas)\b)"
                     r"|\b(?:todos|todas)\s+(?:(?:los|las|sus|estos|estas)\s+)?(?:\w+\s+)?(?:solicitudes|tratamientos|servicios|puntos|pedidos|cosas)\b"
                     r"|\b(?:todos|todas)\s+(?:ellos|ellas|(?:dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|\d+)\b)"
                     r"|\b(?:fueron|son|est[aá]n)\s+(?:todos|todas)\b|\bcada\s+(?:uno|una|solicitud|tratamiento|servicio)\b|\btodo\b", re.I),
}
#: Every match of _ALL_RE / _PLURAL_RE holds one of these (lower case).
_ALL_STEMS = {"en": ("both", "all", "each", "every"), "es": ("amb", "tod", "cada")}
_PLURAL_STEMS = {"en": ("both", "all", "these", "those", "them", "each", "denials", "items", "requests", "treatments"),
                 "es": ("ambos", "ambas", "todos", "todas", "estos", "estas", "ellos", "negaciones", "solicitudes", "tratamientos")}
#: Said of the first review: "already approved", "approved before", "denied at first".
_EARLIER_RE = {
    "en": re.compile(r"\b(?:already|before|earlier|previously|originally|initially|at\s+first|first\s+time|in\s+the\s+first\s+review"
                     r"|partly|partially|part\s+of|some\s+of|had\s+(?:been\s+)?(?:approved|denied|authori[sz]ed|allowed|turned))\b", re.I),
    "es": re.compile(r"\b(?:ya|antes|anteriormente|previamente|originalmente|inicialmente|al\s+principio|en\s+la\s+primera\s+revisi[oó]n"
                     r"|parcialmente|en\s+parte|parte\s+de|algunas?\s+de|hab[ií]a\s+(?:sido\s+)?(?:aprobad|negad|autorizad|rechazad)\w*)\b", re.I),
}
#: Before a count, words that mean the part still in dispute ("the other 6 visits"), not UR's part.
_REST_BEFORE = re.compile(r"\b(?:other|remaining|rest|additional|extra|further|otr[oa]s|restantes?|adicionales?|dem[aá]s)\s+(?:\w+\s+)?$", re.I)
_CLAUSE_BREAK = re.compile(r"[,;:()]|\bbut\b|\bpero\b|\band\s+so\b|\bso\b|\bthen\b|\bluego\b|\bas[ií]\s+que\b", re.I)
#: A match ending where the last clause break ends (greedy: the break that starts last; see _clause_around).
_CLAUSE_LAST = re.compile(r"(?s:.*)(?:" + _CLAUSE_BREAK.pattern + ")", re.I)


# --------------------------------------------------------------------------------------------- reading


@dataclass(slots=True)  # (a reading makes one per sentence)
class Sentence:
    start: int
    end: int
    para: int
    heading: bool


@dataclass
class Outcome:
    approved: bool
    start: int
    end: int
    sent: int
    strength: int
    items: list[int] = field(default_factory=list)
    text: str = ""
    #: Said of the first review (UR), not the IMR: "the 6 visits that were already approved", "it was
    #: denied at first". An earlier denial is true of every disputed item; an earlier approval is true of
    #: the part of a modified request that UR approved.
    earlier: bool = False
    #: A statement of the rationale's conclusion ("Rationale (not medically necessary):" in the reviewer
    #: summary): checked against what the rationale concludes, which a self-contradicting letter may not
    #: match with its decision line.
    conclusion: bool = False


@dataclass
class TreatmentPhrase:
    text: str
    start: int
    end: int
    sent: int
    source: str  # "heading" (X: outcome), "request" (asked for X) or "decided" (approved X, X was denied)


@dataclass
class Deadline:
    count: Count
    context: str  # "appeal" or "implementation"
    sent: int


@dataclass
class Reading:
    raw: str
    text: str  # Markdown blanked out, same offsets as raw
    lang: str
    sents: list[Sentence]
    dates: list[Any]
    pages: list[tuple[list[int], int, int]]
    counts: list[Count]
    deadlines: list[Deadline]
    ages: list[tuple[int, int, int]]
    sexes: list[tuple[str, int, int]]
    outcomes: list[Outcome]
    treatments: list[TreatmentPhrase]
    mentions: dict[int, set[int]]  # sentence -> items it names
    kind: str = "worker"  # "worker" or "summary"
    tallies: list[tuple[str, int, int, int]] = field(default_factory=list)  # (what, n, start, end): "5 overturned"
    quotes: list[tuple[int, int, bool]] = field(default_factory=list)  # (start, end, in the letter)
    about: dict[int, list[int]] = field(default_factory=dict)  # sentence -> items it is about (named or context)
    #: The sentences that hold a request word in lower case (None: not known, ask each sentence).
    asking: set[int] | None = None

    def sent_of(self, pos: int) -> int:
        return _sent_at(self.sents, pos)

    def sent_text(self, i: int) -> str:
        s = self.sents[i]
        return self.text[s.start:s.end]


def _sent_at(sents: list[Sentence], pos: int) -> int:
    """Index of the sentence holding ``pos``, or -1."""
    for i, sn in enumerate(sents):
        if sn.start <= pos < sn.end:
            return i
    return -1


def _sentences(text: str, raw: str) -> list[Sentence]:
    heads = heading_lines(raw) if "#" in raw else []
    head_starts = [hs for hs, _ in heads]  # (heading lines are in order and do not overlap)
    out: list[Sentence] = []
    for pi, (ps, pe) in enumerate(paragraphs(text)):
        for s, e in sentences(text, ps, pe):
            k = bisect_right(head_starts, s) - 1  # the only heading line that can hold s
            out.append(Sentence(s, e, pi, k >= 0 and s < heads[k][1]))
    return out


def _item_hits(text: str, items: list[ItemFact],
               all_keys: tuple[frozenset[str], frozenset[str]] | None = None) -> dict[int, set[str]]:
    """The items a piece of text names, with the words that name each. By their specific words first
    ("naproxen", "chiropractic"); where none is named so, by a generic word only one item has ("the other
    6 therapy visits"). A word that only glosses another named item does not name a second one ("aquatic
    therapy (exercises in a pool)" is not also the "Home exercise kit")."""
    ws = mapped_words(text)
    # (Most sentences name no item: one test against the keys of all items, :func:`_all_keys` or the
    # caller's ``all_keys``, settles them.)
    any_keys, any_weak = all_keys or _all_keys(items)
    hits = {}
    if not ws.isdisjoint(any_keys):
        for f in items:
            ks = f.keys & ws
            if ks:
                hits[f.index] = ks
    if not hits and not ws.isdisjoint(any_weak):
        for f in items:
            ks = f.weak_keys & ws
            if ks:
                hits[f.index] = ks
    if len(hits) > 1:
        # A key several items share ("operative" of "Pre-operative EKG" and "Post-operative physical therapy")
        # names none of them where another item is named by a key of its own.
        shared = _shared_keys(items)
        own = {i for i, ks in hits.items() if ks - shared}
        if own and len(own) < len(hits):
            hits = {i: ks for i, ks in hits.items() if i in own}
    if len(hits) > 1:
        core = core_words()
        drop = {b for b, kb in hits.items() for a, ka in hits.items()
                if a != b and kb <= items[a].vocab and not kb & core and not ka <= items[b].vocab}
        if len(drop) < len(hits):
            hits = {i: k for i, k in hits.items() if i not in drop}
    return hits


#: The words _WORD_MAP maps to each English word (mapped_words adds the English word for any of them).
_MAPPED_FROM: dict[str, list[str]] = {}
for _m, _k in _WORD_MAP.items():
    _MAPPED_FROM.setdefault(_k, []).append(_m)


def _key_producers(keys: frozenset[str]) -> tuple[str, ...] | None:
    """Strings one of which the lower-cased text of an ASCII sentence holds whenever its mapped_words meet
    ``keys`` (None: no such strings, every sentence may). Exact because in ASCII text every word of
    word_set is a substring of the lower-cased text (a run of [a-z0-9%/-], a token of one, a compound's
    part) or the singular of one, which is a prefix of the plural but for "-ies" -> "-y" (so a word
    ending in "y" is produced only where all but its "y" stands); mapped_words adds only the English
    word of a _WORD_MAP key in the set."""
    prods = set()
    for k in keys:
        for w in (k, *_MAPPED_FROM.get(k, ())):
            prods.add(w[:-1] if w.endswith("y") else w)
    if "" in prods or any(" " in p for p in prods):
        return None  # (every sentence holds "", and a blanked sentence's spaces are not the text's)
    return tuple(prods)


def _all_keys(items: list[ItemFact]) -> tuple[frozenset[str], frozenset[str]]:
    """The keys and the weak keys of all the items together (memoised for the check run)."""
    return per_call(("explanation.all_keys", id(items)),
                    lambda: (frozenset().union(*(f.keys for f in items)), frozenset().union(*(f.weak_keys for f in items))))


def _shared_keys(items: list[ItemFact]) -> frozenset[str]:
    """Keys that belong to more than one item (memoised for the check run)."""
    return per_call(("explanation.shared_keys", id(items)), lambda: _shared_keys_of(items))


def _shared_keys_of(items: list[ItemFact]) -> frozenset[str]:
    seen: set[str] = set()
    shared: set[str] = set()
    for f in items:
        shared |= f.keys & seen
        seen |= f.keys
    return frozenset(shared)


def _item_mentions(text: str, items: list[ItemFact]) -> set[int]:
    return set(_item_hits(text, items))


def _glossed(stext: str, hits: dict[int, set[str]], context: list[int], items: list[ItemFact]) -> dict[int, int]:
    """Items a sentence names only by plain words that gloss an item being spoken of: "Aquatic therapy:
    approved. Exercises in water put less weight on your back." is still about the aquatic therapy, not
    the "Home exercise kit". Returns {glossed item: the context item it stands for}."""
    if not context or not hits:
        return {}
    core = core_words()
    dist = {w for w in mapped_words(stext) if w not in _STOP and len(w) > 2}
    out: dict[int, int] = {}
    for b, kb in hits.items():
        if b in context or kb & core:
            continue
        support_b = dist & (items[b].vocab | items[b].keys | items[b].weak_keys)
        if not support_b:
            continue
        for a in context:
            if support_b <= items[a].vocab:
                out[b] = a
                break
    return out


_POSSESSIVE = re.compile(r"\b[\w-]+['’]s\b|\b(?:your|my|his|her|their|the)\s+(?:own\s+)?(?:doctor|surgeon|physician|provider|therapist|"
                         r"m[eé]dico|cirujano)\b|\bsu\s+(?:m[eé]dico|cirujano|doctor)\b", re.I)


#: Every match of _POSSESSIVE holds one of these (lower case): an apostrophe or a word for a doctor.
_POSSESSIVE_STEMS = ("'", "’", "doctor", "surgeon", "physician", "provider", "therapist", "dico", "cirujano")


def treatment_words(phrase: str) -> str:
    """A treatment phrase without the people in it ("your surgeon's full request" names no treatment)."""
    # (An ASCII phrase holding none of the words every match holds is left as it is: the pattern, led by
    # \b and a word of any letters, is slow to try at every word.)
    if phrase.isascii():
        low = phrase.lower()
        if not any(k in low for k in _POSSESSIVE_STEMS):
            return phrase
    return _POSSESSIVE.sub(" ", phrase)


#: A spelling ratio (rapidfuzz's token_set_ratio) is at most 100; one more as a margin for rounding.
_RATIO_BOUND = 101


def _best_item(phrase: str, items: list[ItemFact]) -> int | None:
    """The item a treatment phrase names best (None when it names none): its specific treatment words
    must belong to the item; otherwise it must share a distinctive word with the item's name or glossary
    words, or a generic word only that item has. Spelling similarity alone names nothing. Among several,
    the best by (specific words all the item's own, shared distinctive words, a weak key, spelling
    similarity), then by the highest index.

    (Only the best is ever asked for. Most phrases leave one candidate, whose spelling ratio ranks
    nothing; with several, a candidate is scored in order of its score without the ratio, and one whose
    score could not reach the best found so far even with the highest ratio is not scored: the ranking
    is the one of scoring them all.)"""
    phrase = treatment_words(phrase)
    core = core_of(phrase)
    dist = distinctive(phrase)
    ws = mapped_words(phrase)
    fams: dict[str, frozenset[str]] = {}  # (stem_family of the core words, asked once for all items)
    cands: list[tuple[int, int, ItemFact]] = []  # (overlap * 100 + weak * 50, index, item)
    for f in items:
        if core and not _item_covers(core, f, fams):
            continue
        overlap = sum(1 for w in dist if w in f.keys or w in f.vocab)  # len(dist & (keys | vocab)), no union made
        weak = bool(f.weak_keys & ws)
        if not core and overlap == 0 and not weak:
            continue
        cands.append((overlap * 100 + weak * 50, f.index, f))
    if len(cands) < 2:
        return cands[0][1] if cands else None
    if core:
        cands = [(base + 1000 if all(w in f.vocab or _in_family(w, f) for w in core) else base, i, f)
                 for base, i, f in cands]
    cands.sort(key=lambda c: (c[0], c[1]), reverse=True)
    norm = norm_words(phrase)
    best: tuple[float, int] | None = None
    for base, i, f in cands:
        if best is not None and (base + _RATIO_BOUND, i) < best:
            break  # (this one and every later one, lower in (score without ratio, index), rank below best)
        scored = (base + fuzz.token_set_ratio(norm, norm_words(f.name)), i)
        if best is None or scored > best:
            best = scored
    assert best is not None
    return best[1]


def _item_covers(core: frozenset[str], f: ItemFact, fams: dict[str, frozenset[str]] | None = None) -> bool:
    """Whether every word of ``core`` is one of the item's words (its vocabulary or its block's) or of the
    same family as one (:func:`_in_family`), without building the union of those sets for every phrase
    and item (an item's block has hundreds of words). ``fams``: the words' families found so far (a
    caller asking of many items)."""
    vocab, block = f.vocab, f.block_words
    for w in core:
        if w in vocab or w in block:
            continue
        fam = fams.get(w) if fams is not None else None
        if fam is None:
            fam = stem_family(w)
            if fams is not None:
                fams[w] = fam
        if fam.isdisjoint(vocab) and fam.isdisjoint(block):
            return False
    return True


def _in_family(w: str, f: ItemFact) -> bool:
    """Whether ``w`` is of the same family (:func:`~imrassist.checks.common.stem`) as a word of the item,
    asked the other way round: whether one of the few words of ``w``'s family
    (:func:`~imrassist.checks.common.stem_family`) is a word of the item, rather than making the stems of
    its block's hundreds of words."""
    fam = stem_family(w)
    return not fam.isdisjoint(f.vocab) or not fam.isdisjoint(f.block_words)


def _named_items(phrase: str, items: list[ItemFact]) -> list[int]:
    """The item a phrase names, or the items it names together ("Blood tests (CBC and BMP)"); memoised for
    the check run (explanations repeat their item lines)."""
    return list(per_call(("explanation.named_items", id(items), phrase), lambda: _named_items_uncached(phrase, items)))


def _named_items_uncached(phrase: str, items: list[ItemFact]) -> list[int]:
    best = _best_item(phrase, items)
    if best is not None:
        return [best]
    core = core_of(treatment_words(phrase))
    cover = [f.index for f in items if core & f.vocab]
    covered: set[str] = set()
    for i in cover:
        covered |= items[i].vocab
    return cover if core and core <= covered else []


def _clause_around(sent: str, a: int, b: int) -> tuple[str, str]:
    """The text of the clause before ``sent[a:b]`` and after it (up to the nearest clause break)."""
    # The last piece of ``_CLAUSE_BREAK.split(sent[:a])`` starts where the break that starts last ends: the
    # breaks are single characters and whole words, and the only ones that overlap ("and so", "so") end
    # together. _CLAUSE_LAST finds that break from the end of the piece, where it usually stands ("X:
    # approved"), rather than trying the alternation at every position of the piece from its start.
    m = _CLAUSE_LAST.match(sent, 0, a) if a else None
    before = sent[m.end():a] if m else sent[:a]
    tail = sent[b:]
    m = _CLAUSE_BREAK.search(tail)
    return before, tail[:m.start()] if m else tail


def _outcomes_in(text: str, s: int, e: int, lang: str,
                 ur_counts: tuple[tuple[str, tuple[float, ...]], ...] = ()) -> list[tuple[bool, int, int, int, bool]]:
    """(approved, start, end, strength, earlier) of the outcome statements in ``text[s:e]`` (negation
    applied). ``earlier``: the statement is about the first review (UR), not the IMR (``ur_counts``: the
    amounts UR approved of modified requests, as :func:`_ur_counts` gives them).

    The reading of the sentence is cached by its text alone (:func:`_sentence_outcomes`); the amounts UR
    approved are a letter's own, and are asked about here, of the few statements whose ``earlier`` turns
    on them. (Keyed by them too, every sentence of the explanation of a letter with a modified request
    would be read afresh, boilerplate included, on a letter not seen before.)"""
    out = []
    counts: dict[str, set[float]] | None = None
    for ap, a, b, st, ea, ur_clause in _sentence_outcomes(text[s:e], lang):
        if ur_clause is not None and ur_counts:
            if counts is None:
                counts = {noun: set(vals) for noun, vals in ur_counts}
            ea = _ur_amount_in(ur_clause, counts, lang)
        out.append((ap, s + a, s + b, st, ea))
    return out


@lru_cache(maxsize=4096)  # explanations repeat most of their sentences from letter to letter
def _sentence_outcomes(sent: str, lang: str) -> tuple[tuple[bool, int, int, int, bool, str | None], ...]:
    """:func:`_outcomes_in` of one piece of text, offsets relative to it, without the amounts UR approved:
    where ``earlier`` would be settled by them (a weak statement whose clause does not say "first review"),
    it is False here and the text :func:`_ur_amount_in` reads is the last field (None elsewhere)."""
    s = 0
    low = sent.lower()
    bits = 0  # (the patterns with a stem in the sentence: those whose keys it holds)
    for k, b in _OUTCOME_STEM_BITS[lang]:
        if k in low:
            bits |= b
    if not bits:
        return ()
    pats = _outcome_pats(lang, bits)
    # (In ASCII text a case-insensitive match holds its words in lower case: the tests below that need a
    # word are made only where ``low`` holds it.)
    ascii_ = sent.isascii()
    ur: bool | None = None  # (whether the sentence speaks of UR, asked of the first match that needs it)
    taken: list[tuple[int, int]] = []
    hits: list[tuple[bool, int, int, int, bool, str | None]] = []
    for rx, pol, strength in pats:
        for m in rx.finditer(sent):
            a, b, mtext = m.start(), m.end(), m.group(0)
            if any(x < b and a < y for x, y in taken):
                continue
            taken.append((a, b))
            if strength < 3:
                if ur is None:
                    ur = bool(search_from_stems(_UR_SENT_RE[lang], _UR_STARTS[lang], sent, low=low) if ascii_
                              else _UR_SENT_RE[lang].search(sent))
                if ur and not _UR_KEEP.search(mtext):
                    continue
            if _DEFINITION_AFTER.match(sent, b):
                continue  # "Approved means ...": about the word, not an item
            # The two patterns that read the text before the match end with white space ("\s+$"), and hold
            # one of their words: asked only of a text that does.
            before = sent[:a] if sent[a - 1:a].isspace() else ""
            if before and (not ascii_ or any(low.find(k, 0, a) >= 0 for k in _GENERIC_BEFORE_STEMS[lang])) \
                    and _GENERIC_BEFORE[lang].search(before):
                continue  # "What was approved: ...": about the group, not an item
            if before and strength < 3 and any(k in before for k in _REQUEST_BEFORE[lang][0]) \
                    and _REQUEST_BEFORE[lang][1].search(before):
                continue  # "asked ... to approve": a request, not an outcome
            clause, after = _clause_around(sent, a, b)
            if strength < 3 and _COND_RE[lang].search(clause):
                continue
            if strength == 0 and (_COND_RE[lang].search(sent) or _LATER_RE.search(sent)):
                continue  # "If things change, you may get it later with a new request": not this decision
            approved = pol
            window = clause[-45:]
            negs = _NEG_RE[lang].findall(window)
            if lang == "es" and pol is False and strength == 3 and mtext.lower().startswith("no "):
                negs.append("no")
            if len(negs) % 2 == 1:
                approved = not approved
            earlier = strength < 3 and bool(_EARLIER_RE[lang].search(clause) or _EARLIER_RE[lang].search(after))
            ur_clause = f"{clause}{mtext}{after}" if strength < 3 and not earlier else None
            hits.append((approved, s + a, s + b, strength, earlier, ur_clause))
    hits.sort(key=lambda h: h[1])
    return tuple(hits)


_UR_KEEP = re.compile(r"overturned|upheld|anulad|revocad", re.I)
#: Every match of a language's _GENERIC_BEFORE holds one of these (lower case).
_GENERIC_BEFORE_STEMS = {"en": ("what", "thing", "item", "one", "part"), "es": ("lo", "las")}
#: Before an outcome word, the end of a request ("asked ... to approve"): (the words every match holds, the
#: pattern; case-sensitive, so the words are looked for in any text).
_REQUEST_BEFORE = {"en": (("to",), re.compile(r"\bto\s+(?:\w+\s+)?$")),
                   "es": (("para", "pidi", "solicit"), re.compile(r"\b(?:para|pidi[oó]|solicit[oó])\s+$"))}
_OVERTURNED_UPHELD = re.compile(r"overturned|upheld|anulad", re.I)


def _ur_counts(facts: LetterFacts) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """The amounts UR approved of the modified requests, per noun, frozen (sorted) once per reading (what
    :func:`_outcomes_in` is given)."""
    out: dict[str, set[float]] = {}
    for f in facts.items:
        if f.modified:
            for noun, vals in f.ur_approved.items():
                out.setdefault(noun, set()).update(vals)
    return tuple(sorted((noun, tuple(sorted(vals))) for noun, vals in out.items()))


def _ur_amount_in(clause: str, ur_counts: dict[str, set[float]], lang: str) -> bool:
    """Whether a clause counts the amount UR approved of a modified request ("6 more were approved", "the
    6 visits approved before"), and not the part still in dispute ("the other 6 visits")."""
    if not ur_counts:
        return False
    nouns = {c.num_start: c.noun for c in find_counts(clause, lang)}
    for m in _count_matches(clause, lang):
        v = _number(m.group("a"), lang)
        if v is None or _REST_BEFORE.search(clause[:m.start()]):
            continue
        noun = nouns.get(m.start())
        vals = ur_counts.get(noun, set()) if noun else set().union(*ur_counts.values())
        if float(v) in vals:
            return True
    return False


_DEADLINE_PREP = re.compile(
    r"(?:within|in|by|no\s+later\s+than|dentro\s+de|en\s+un\s+plazo\s+de|en|antes\s+de|plazo\s+de)\s+(?:the\s+|los\s+|las\s+)?$",
    re.IGNORECASE,
)
_MUST_RE = re.compile(r"\b(?:must|have\s+to|has\s+to|need\s+to|debe|tiene\s+que|hay\s+que)\b|\bwithin\b|\bdentro\b|\bplazo\b", re.I)
_BULLET_RE = re.compile(r"[ \t]*(?:[-*+]|\d{1,2}[.)])[ \t]+")


_AGE_HINT = re.compile(r"\bold\b|of\s+age|y/?o\b|\bage[ds]?\b|a[nñ]os\b", re.IGNORECASE)
_SEX_STEMS = ("man", "male", "boy", "hombre", "masculin", "lady", "girl", "mujer", "femenin")
def _sex_words(text: str, low: str) -> list[tuple[int, int]]:
    """The spans ``SEX_RE.finditer(text)`` gives, found from the places its words' stems occur. (Where
    lower-casing is not what case-insensitive matching does, the pattern reads the whole text: "İ" lower-cases
    to two characters, and the pattern takes "ſ" for "s" and "ı" for "i" — "maſculino" is a sex word.)"""
    if len(low) != len(text) or not text.isascii() and ("ſ" in text or "ı" in text):
        return [(m.start(), m.end()) for m in SEX_RE.finditer(text)]
    starts: set[int] = set()
    for w in _SEX_STEMS:
        i = low.find(w)
        while i >= 0:
            j = i
            while j > 0 and _WORD_CHAR.match(text, j - 1):
                j -= 1
            starts.add(j)
            i = low.find(w, i + 1)
    out = []
    for j in sorted(starts):
        m = SEX_RE.match(text, j)
        if m and (not out or m.start() >= out[-1][1]):
            out.append((m.start(), m.end()))
    return out


_CASE_NO = re.compile(r"[A-Z]{1,4}\d{2}-\d{4,8}\b")
_CASE_HINT = re.compile(r"\d{2}-\d{4}")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _case_numbers(text: str) -> list[re.Match[str]]:
    """``_CASE_NO.finditer(text)``, tried only up to four characters before a run of digits that follows
    a capital letter (where the digits of a case number start): a pattern that starts with a capital is
    otherwise tried at every capital of the text. (The runs are the text's, found once per check run.)"""
    starts: list[int] = []
    for d, _ in _digit_runs(text):
        if d and text[d - 1] in _UPPER:
            starts.extend(range(max(0, d - 4, starts[-1] + 1 if starts else 0), d))
    return matches_at(_CASE_NO, text, starts)


_WORD_CHAR = re.compile(r"\w")


def _ages(text: str, sents: list[Sentence], lang: str) -> list[tuple[int, int, int]]:
    """Ages stated in the text (:func:`imrassist.parse.find_age`, run only on sentences that can hold one)."""
    ages: list[tuple[int, int, int]] = []
    low = text.lower()
    if len(low) != len(text):
        low = text
    marks: list[int] | None = None
    if text.isascii():
        # A hint that a sentence's own search finds holds, inside the sentence, "old", "age", "y/o", "anos", or
        # "yo" at a word's end (a sentence ends before a blank, a quote or a bracket: "yo" at its end is followed
        # by one of those in the text too). These are looked for once in the whole text, and only the sentences
        # that hold one are searched ("you" holds "yo": most sentences pass the substring test below, and
        # the hint pattern tried at every "of" and "you" of the text took longer than the rest of the reading
        # of ages).
        marks = stem_positions(("old", "age", "y/o", "anos"), low)
        i = low.find("yo")
        while i >= 0:
            if not _WORD_CHAR.match(text, i + 2):
                marks.append(i)
            i = low.find("yo", i + 2)
        marks.sort()
    for sn in sents:
        if marks is not None:
            k = bisect_left(marks, sn.start)  # the first mark at or after the sentence's start
            if k == len(marks) or marks[k] >= sn.end:
                continue
        # (The words are looked for in the lower-cased sentence only when lower-casing is exact, in ASCII
        # text: "İ" lower-cases to two characters, and a case-insensitive "ſ" is an "s".)
        sl = low[sn.start:sn.end] if marks is not None else None
        if (sl is None or "old" in sl or "age" in sl or "yo" in sl or "y/o" in sl or "anos" in sl) \
                and _AGE_HINT.search(text, sn.start, sn.end):
            ages.extend(_ages_in(text, sn.start, sn.end, lang))
    return ages


def _ages_in(text: str, start: int, end: int, lang: str) -> list[tuple[int, int, int]]:
    ages: list[tuple[int, int, int]] = []
    pos = start
    while pos < end:
        hit = find_age(text[pos:end])
        if not hit:
            return ages
        a, s, e = hit[0], pos + hit[1], pos + hit[2]
        if lang != "es" or spanish_age(text, s, e):
            ages.append((a, s, e))
        pos = e
    return ages


def _deadline_context(text: str, c: Count, stext: str, prev: str, lang: str) -> str | None:
    """"appeal" / "implementation" when a day/week/month count is a deadline, else None."""
    if c.noun not in ("day", "week", "month", "year"):
        return None
    prep = bool(_DEADLINE_PREP.search(text[max(0, c.start - 30):c.start]))
    working = bool(_WORKING_RE.search(text[c.start:c.end + 12]))
    if holds_match(_APPEAL_RE[lang], _APPEAL_STEMS[lang], stext) or holds_match(_MAIL_RE, _MAIL_STEMS, stext):
        return "appeal"
    if holds_match(_IMPL_RE, _IMPL_STEMS, stext) and (prep or working):
        return "implementation"
    if prev and holds_match(_APPEAL_RE[lang], _APPEAL_STEMS[lang], prev) and (prep or _MUST_RE.search(stext)):
        return "appeal"
    if prev and holds_match(_IMPL_RE, _IMPL_STEMS, prev) and (prep or working) and _MUST_RE.search(stext):
        return "implementation"
    return None


_WORKING_RE = re.compile(r"working|business|h[aá]biles", re.I)
_BUT_NOT = {"en": re.compile(r",?\s+but\s+(not)\b", re.I), "es": re.compile(r",?\s+pero\s+(no)\b", re.I)}
_CLAUSE_SPLIT = re.compile(r",?\s+(?:but|while|whereas|although|pero|mientras\s+que|aunque)\s+|;\s*|\.\s+", re.I)


def _clause_items(text: str, sn: Sentence, outs: list[Outcome], named: set[int], items: list[ItemFact]) -> dict[int, list[int]]:
    """For a sentence naming several items ("approved the consult, but not the MRI"): the items named in
    the clause of each outcome, when that clause names any."""
    bounds = [sn.start] + [sn.start + m.end() for m in _CLAUSE_SPLIT.finditer(text[sn.start:sn.end])] + [sn.end]
    out: dict[int, list[int]] = {}
    for o in outs:
        for a, b in zip(bounds, bounds[1:]):
            if a <= o.start < b:
                here = _item_mentions(text[a:b], items) & named
                if here:
                    out[id(o)] = sorted(here)
                break
    return out


def _sentences_holding(text: str, low: str, sents: list[Sentence], stems: tuple[str, ...]) -> set[int] | None:
    """The sentences whose lower-cased text holds one of ``stems`` (:func:`~imrassist.checks.common.spans_holding`);
    None when lower-casing changed the text's length (then its offsets are not the text's: ask each sentence)."""
    if len(low) != len(text):
        return None
    return spans_holding(low, [(sn.start, sn.end) for sn in sents], stems)


def _request_phrases(stext: str, offset: int, si: int, lang: str) -> list[TreatmentPhrase]:
    """What a request sentence says was asked for ("asked for an epidural injection, done under
    fluoroscopy, and E-stim"), one phrase per listed part."""
    low = stext.lower()
    if not any(k in low for k in _REQUEST_STEMS[lang]):
        return []
    rq = _REQUEST_RE[lang].search(stext)
    if not rq or _UR_SENT_RE[lang].search(stext[:rq.start()]):
        return []
    out = []
    rest = stext[rq.end():]
    rest_start = offset + rq.end()
    cut = re.search(r"\.\s|\.$|\bbecause\b|\bporque\b|\bbut\b|\bpero\b", rest)
    rest_end = cut.start() if cut else len(rest)
    for pm in re.finditer(r"[^,;]+", rest[:rest_end]):
        for part in re.split(r"\s+(?:and|y|e|plus|as\s+well\s+as)\s+", pm.group(0)):
            part_s = rest_start + pm.start() + pm.group(0).find(part)
            if part.strip():
                out.append(TreatmentPhrase(part.strip(), part_s, part_s + len(part), si, "request"))
    return out


#: Where the thing decided ends, after the outcome words ("approved the MRI because ...", "denied the
#: shots for now") or before them ("..., and the MRI was denied").
_DECIDED_CUT = re.compile(
    r"[.,;:!?()]|\b(?:because|since|as|so|but|and|or|after|before|until|unless|if|when|while|which|that|who|"
    r"within|by|under|per|in|on|at|for\s+(?:now|you|your|this|that|these|those|the\s+(?:reasons?|time))|to|"
    r"though|although|even|however|yet)\b", re.I)
_DECIDED_LEAD = re.compile(r"(?:\s*(?:the|your|a|an|this|that|these|those|all|both|of|to|request|requests|for|"
                           r"doctor'?s|treating|original|earlier|new)\b)*\s*", re.I)
_DECIDED_CLAUSE_START = re.compile(r"[,;:(]|\b(?:and|but|so|that|because|which|while|when|if)\b", re.I)
#: The _DECIDED_CLAUSE_START that starts last, found from the end (greedy): its matches are single
#: characters and whole words, which cannot overlap, so the last of finditer's matches is the one that
#: starts last, and only one alternative matches where it starts.
_DECIDED_CLAUSE_LAST = re.compile(r"(?s:.*)(?:" + _DECIDED_CLAUSE_START.pattern + ")", re.I)
_AUX_AT_END = re.compile(r"\s+(?:is|was|were|are|has\s+been|have\s+been|got|gets|stays|remains|will\s+be)"
                         r"(?:\s+(?:now|still|also|not))*\s*$", re.I)


def _decided_phrases(text: str, sn: Sentence, si: int, found: list[tuple[bool, int, int, int, bool]]
                     ) -> list[TreatmentPhrase]:
    """What an English outcome statement says was decided: the words right after its outcome words
    ("approved six sessions of chiropractic care") or right before them ("The MRI of the neck was denied").

    A hand-written explanation names treatments this way more often than as an "X: approved" line or an
    "asked for X" phrase, and a treatment swapped into such a sentence is the error to catch. Only the
    treatment terms in the phrase matter to the check (a phrase of generic words, "your request", "this
    care", names nothing), and statements about the first review (UR) are left out, as for requests."""
    out: list[TreatmentPhrase] = []
    for _, a, b, _, earlier in found:
        if earlier:
            continue
        xs = _DECIDED_LEAD.match(text, b, sn.end).end()  # (the lead words are all optional: always a match)
        cut = _DECIDED_CUT.search(text, xs, sn.end)
        xe = xs + len(text[xs:cut.start() if cut else sn.end].rstrip())
        if xe > xs:
            out.append(TreatmentPhrase(text[xs:xe], xs, xe, si, "decided"))
        m = _DECIDED_CLAUSE_LAST.match(text, sn.start, a)  # (where the last clause start before a ends)
        start = m.end() if m else sn.start
        x0 = _DECIDED_LEAD.match(text, start, a).end()
        x1 = x0 + len(text[x0:a].rstrip())
        # "The MRI was denied": the verb's auxiliary is part of the outcome words or stands just before them.
        aux = _AUX_AT_END.search(text, x0, x1)
        if aux:
            x1 = aux.start()
        if x1 > x0:
            out.append(TreatmentPhrase(text[x0:x1], x0, x1, si, "decided"))
    return out


def _assign_items(text: str, raw: str, sents: list[Sentence], per_sent: dict[int, list[Outcome]],
                  mentions: dict[int, set[int]], hits: dict[int, dict[int, set[str]]],
                  heading_best: dict[int, list[int]], items: list[ItemFact], lang: str,
                  need_about: bool = True) -> dict[int, list[int]]:
    """Set which items each outcome is about: the item of an "X: outcome" line, the items listed under a
    "These are approved:" line, the items its clause or sentence names, all items for "both"/"all", else
    the items last spoken of."""
    starts: dict[int, int] = {}

    def line_of(j: int) -> int:  # where sentence j's line starts (asked of the sentences after a "...:" line)
        if j not in starts:
            starts[j] = raw.rfind("\n", 0, sents[j].start) + 1
        return starts[j]

    def bullet(j: int) -> bool:  # whether sentence j's line is a list item
        return bool(_BULLET_RE.match(raw, line_of(j)))

    context: list[int] = []
    consumed: set[int] = set()
    about: dict[int, list[int]] = {}
    all_items = [f.index for f in items]
    same_decision = len({f.decision for f in items}) == 1
    for si, sn in enumerate(sents):
        if sn.heading:
            # A heading opens a section: about the item(s) it names, else about none in particular.
            context = sorted(mentions.get(si, ()))
            continue
        outs = per_sent.get(si, [])
        if not outs and (si in consumed or not need_about and not mentions.get(si) and si not in heading_best):
            continue  # a listed item taken by its "...:" line, or nothing to assign (and the context stays)
        stext = text[sn.start:sn.end]
        if outs and stext.rstrip(" *_").endswith(":"):
            group: list[int] = []
            j = si + 1
            while j < len(sents) and (bullet(j) or line_of(j) == line_of(j - 1) and j - 1 in consumed):
                if line_of(j) != line_of(j - 1) or j == si + 1:
                    b = _best_item(text[sents[j].start:sents[j].end], items)
                    best = [b] if b is not None else sorted(mentions.get(j, ()))
                    group += [i for i in best if i not in group]
                consumed.add(j)
                j += 1
            if group:
                for o in outs:
                    o.items = group
                context = group
                about[si] = group
                continue
        glossed = _glossed(stext, hits.get(si, {}), context, items) if si not in heading_best else {}
        if glossed:
            mentions[si] = {glossed.get(i, i) for i in mentions[si]}
        if si in heading_best:
            target = heading_best[si]
        elif mentions.get(si):
            target = sorted(mentions[si]) if len(mentions[si]) > 1 or not holds_match(_ALL_RE[lang], _ALL_STEMS[lang], stext) \
                else all_items
        elif holds_match(_ALL_RE[lang], _ALL_STEMS[lang], stext):
            target = all_items
        elif holds_match(_PLURAL_RE[lang], _PLURAL_STEMS[lang], stext):
            # "The denials stand": the items spoken of; all of them only when that cannot be wrong.
            target = context if len(context) > 1 else all_items if same_decision else []
        elif len(items) == 1:
            target = all_items
        elif context:
            target = context
        elif same_decision:
            target = all_items
        else:
            target = []
        clause_items: dict[int, list[int]] = {}
        if si not in heading_best and len(mentions.get(si, ())) > 1:
            clause_items = _clause_items(text, sn, outs, mentions[si], items)
        for o in outs:
            o.items = clause_items.get(id(o)) or list(target)
        about[si] = list(target)
        if target and si not in consumed and (si in heading_best or mentions.get(si)):
            context = list(target)
    return about


_OUTCOME_WORDS = re.compile(
    r"\b(?:stays?|stayed|remains?|remained|stands?|still|kept|upheld|overturned|reversed|approve[sd]?|denied|denials?|authori[sz]e[sd]?"
    r"|covered|rejected|turned|sigue[n]?|queda[n]?|mantiene[n]?|aprobad[oa]s?|negad[oa]s?|denegad[oa]s?|rechazad[oa]s?)\b", re.I)


def _blank_outcome_words(stext: str, offset: int, found: list[tuple[bool, int, int, int, bool]]) -> str:
    if not found:
        return stext
    chars = list(stext)
    for _, a, b, _, _ in found:
        for m in _OUTCOME_WORDS.finditer(stext, a - offset, b - offset):
            chars[m.start():m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


# ------------------------------------------------------------------------------ the reviewer summary

#: "## 3. Pre-operative medical clearance — OVERTURNED" (the item headings of ``imrassist summarize``).
_SUMMARY_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+(?P<num>\d{1,3}[.)][ \t]+)?(?P<x>\S.*?)[ \t]+[—–-]{1,2}[ \t]+"
                              r"(?P<dec>overturned|upheld|approved|denied|still\s+denied|not\s+approved)[ \t]*$", re.I)
_TALLY_RE = re.compile(r"\b(?P<n>\d{1,3})\s+(?P<what>overturned|upheld)\b", re.I)
_ITEMS_TOTAL_RE = re.compile(r"\bItems?\s*:\s*(?P<n>\d{1,3})\b", re.I)
_CONCLUSION_RE = re.compile(r"\brationale\s*\(\s*(?P<neg>not\s+)?medically\s+necessary\s*\)"
                            r"|\brationale\s+conclude[sd]?\s+(?P<neg2>not\s+)?medically\s+necessary", re.I)
_QUOTE_RE = re.compile(r"\"(?P<a>[^\"\n]{6,})\"|“(?P<b>[^”\n]{6,})”")
_WIDE_QUOTE_RE = re.compile(r"\"(?P<a>[^\n]{6,})\"|“(?P<b>[^\n]{6,})”")


def _in_letter(quote: str, facts: LetterFacts) -> bool:
    key = squash_text(quote.replace("\\", ""))
    return bool(key) and key in facts.squashed


_SUMMARY_LABELS = {"patient", "doi", "ur", "imr", "reviewer", "items", "requested", "ur modification", "imr guidelines",
                   "ca guidelines", "limit quoted", "note", "dos", "decision", "determination", "guidelines", "citation",
                   "citations", "rationale", "conclusion", "case", "summary"}


@dataclass
class _SummaryView:
    text: str
    lines: dict[int, tuple[int, int, int]]  # heading line start -> (x start, x end, decision start)
    tallies: list[tuple[str, int, int, int]]
    conclusions: list[tuple[bool, int, int]]
    quotes: list[tuple[int, int, bool]]


def _summary_view(raw: str, text: str, facts: LetterFacts) -> _SummaryView:
    """The reviewer summary as the reader sees it: quotes the letter contains blanked (the letter's own
    words, already grounded), the item headings as item lines, the tallies ("(5 overturned, 4 upheld)") and
    the rationale conclusions ("Rationale (not medically necessary):") taken out as claims of their own."""
    chars = list(text)

    def blank(a: int, b: int) -> None:
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "

    quotes = []
    for lm in re.finditer(r"[^\n]+", text):
        # A quote of the letter may hold quotes of its own ("As such, the requested "EKG" is not ..."):
        # the widest quote of the line first, then the quotes one by one.
        wide = _WIDE_QUOTE_RE.search(lm.group(0))
        spans = [wide] if wide else []
        if wide and not _in_letter(wide.group("a") or wide.group("b") or "", facts):
            spans = list(_QUOTE_RE.finditer(lm.group(0)))
        for m in spans:
            a, b = lm.start() + m.start(), lm.start() + m.end()
            inside = _in_letter(m.group("a") or m.group("b") or "", facts)
            quotes.append((a, b, inside))
            if inside:
                blank(a, b)
    lines: dict[int, tuple[int, int, int]] = {}
    for m in _SUMMARY_HEADING.finditer(raw):
        if m.group("num"):
            blank(m.start("num"), m.end("num"))
        lines[m.start()] = (m.start("x"), m.end("x"), m.start("dec"))
    tallies = []
    for m in _TALLY_RE.finditer(text):
        tallies.append((m.group("what").lower(), int(m.group("n")), m.start(), m.end()))
        blank(m.start(), m.end())
    for m in _ITEMS_TOTAL_RE.finditer(text):
        tallies.append(("items", int(m.group("n")), m.start("n"), m.end("n")))
    conclusions = []
    for m in _CONCLUSION_RE.finditer(text):
        conclusions.append((not (m.group("neg") or m.group("neg2")), m.start(), m.end()))
        blank(m.start(), m.end())
    return _SummaryView("".join(chars), lines, tallies, conclusions, quotes)


def read_explanation(raw: str, lang: str, facts: LetterFacts, kind: str = "worker") -> Reading:
    """Everything the checks verify in an explanation, with offsets into ``raw``. ``kind="summary"``
    reads the reviewer summary (see :func:`_summary_view`)."""
    text = strip_markdown(raw)
    summary = None
    if kind == "summary":
        summary = _summary_view(raw, text, facts)
        text = summary.text
    sents = _sentences(text, raw)
    if summary is not None:
        for sn in sents:  # an item heading is an item line, not a section title
            if sn.heading and raw.rfind("\n", 0, sn.start) + 1 in summary.lines:
                sn.heading = False
    dates = dates_in(text, dmy=lang == "es")
    pages = page_refs(text)
    case_spans = ([(m.start(), m.end()) for m in _case_numbers(text) if not (m.start() and _WORD_CHAR.match(text, m.start() - 1))]
                  if _CASE_HINT.search(text) else [])
    low = text.lower()
    ages = _ages(text, sents, lang)
    sexes = [(parse_sex(text[a:b]) or "", a, b) for a, b in _sex_words(text, low)]

    def prev_text(si: int) -> str:
        if si > 0 and sents[si - 1].para == sents[si].para:
            return text[sents[si - 1].start:sents[si - 1].end]
        return ""

    # Counts; deadlines are the day/week/month counts said about the appeal or the implementation.
    skip = [(d.start, d.end) for d in dates] + [(s, e) for _, s, e in pages] + case_spans + [(s, e) for _, s, e in ages]
    counts: list[Count] = []
    deadlines: list[Deadline] = []
    freq_starts = {fq.start for fq in frequencies(text, lang)}
    for c in find_counts(text, lang, skip=skip):
        if c.start in freq_starts and c.noun == "visit":
            # "3 visits a week for 4 weeks": a rate (3 times a week), not a number of visits
            c = Count(c.values, "time", c.start, c.end, c.num_start, c.num_end, c.text, c.word)
        si = _sent_at(sents, c.start)
        stext = text[sents[si].start:sents[si].end] if si >= 0 else ""
        context = _deadline_context(text, c, stext, prev_text(si) if si >= 0 else "", lang)
        if context:
            deadlines.append(Deadline(c, context, si))
        else:
            counts.append(c)

    items = facts.items
    ur_counts = _ur_counts(facts)
    all_keys = _all_keys(items)
    mentions: dict[int, set[int]] = {}
    hits: dict[int, dict[int, set[str]]] = {}
    treatments: list[TreatmentPhrase] = []
    outcomes: list[Outcome] = []
    per_sent: dict[int, list[Outcome]] = {}
    heading_best: dict[int, list[int]] = {}
    # (_request_phrases's first test, a request word in the sentence, made once for the whole text)
    asking = _sentences_holding(text, low, sents, _REQUEST_STEMS[lang])
    # In ASCII text (where a case-insensitive match holds its words in lower case), the sentences that can
    # match three of the tests of the outcome sentences below, found once for the whole text: the others are
    # not searched (each test is a case-insensitive alternation, slow to try at every position of a sentence).
    ur_sents = appeal_sents = but_sents = None
    if text.isascii():
        ur_sents = _sentences_holding(text, low, sents, _UR_STARTS[lang])
        appeal_sents = _sentences_holding(text, low, sents, _APPEAL_STEMS[lang])
        but_sents = _sentences_holding(text, low, sents, _BUT_STEMS[lang])
    # In ASCII text, the sentences that can name an item (hold a string that every word set meeting an
    # item's keys or weak keys comes from, :func:`_key_producers`): the others name none, and their word
    # sets (most of them new in an unseen letter) are not made.
    spans = [(sn.start, sn.end) for sn in sents]
    naming = None
    if text.isascii():
        prods = _key_producers(all_keys[0] | all_keys[1])
        if prods is not None:
            naming = spans_holding(low, spans, prods)
    # (an "X: outcome" line holds a colon: outside a summary, the sentences without one are no item line)
    colons = spans_holding(text, spans, (":",)) if summary is None else None
    for si, sn in enumerate(sents):
        stext = text[sn.start:sn.end]
        if sn.heading:
            # a heading that names an item opens its section
            mentions[si] = _item_mentions(stext, items) if naming is None or si in naming else set()
            continue
        found = _outcomes_in(text, sn.start, sn.end, lang, ur_counts)
        # The words of an outcome phrase name no item ("The collar and the stimulator stay denied" is not
        # about the hospital stay). (Blanking makes spaces only: a sentence outside naming names none.)
        hits[si] = (_item_hits(_blank_outcome_words(stext, sn.start, found), items, all_keys)
                    if naming is None or si in naming else {})
        mentions[si] = set(hits[si])
        if not hits[si]:
            found = [h for h in found if h[3] > 0]  # "you can get ..." is an outcome only of a named item
        line = _item_line(text, raw, sn, summary, lang) if colons is None or si in colons else None
        if line is not None:
            xs, xe, rs = line
            if summary is not None and raw.rfind("\n", 0, sn.start) + 1 in summary.lines:
                found = _outcomes_in(text, rs, sn.end, lang, ur_counts)  # only the decision word of a heading
            x = text[xs:xe]
            treatments.append(TreatmentPhrase(x, xs, xe, si, "heading"))
            best = _named_items(x, items)
            if best or core_of(treatment_words(x)):
                heading_best[si] = best  # an item line (or a treatment that is no item: reported as such)
            elif not _outcomes_in(text, xs, xe, lang) and len(items) > 1:
                # "Your other request: approved." names no item: about none in particular (not the item
                # spoken of before, nor the closest spelling). "So the expert said yes: ..." is a sentence
                # with a colon, not an item line.
                heading_best[si] = [f.index for f in items] if len({f.decision for f in items}) == 1 else []
        requested = _request_phrases(stext, sn.start, si, lang) if asking is None or si in asking else []
        treatments += requested
        if lang == "en" and found and line is None and not (
                (ur_sents is None or si in ur_sents) and _UR_SENT_RE[lang].search(stext)):
            treatments += [t for t in _decided_phrases(text, sn, si, found)
                           if not any(r.start < t.end and t.start < r.end for r in requested)]
        if not found:
            continue  # (what follows only keeps or drops outcome statements)
        if (appeal_sents is None or si in appeal_sents) and _APPEAL_RE[lang].search(stext) \
                and not _OVERTURNED_UPHELD.search(stext):
            continue
        if _GENERIC_LABEL[lang].match(stext) or holds_match(_GROUP_RE[lang], _GROUP_STEMS[lang], stext):
            continue  # "What was approved: ...", "The approved items must be authorized": about a group
        but_not = _BUT_NOT[lang].search(text, sn.start, sn.end) if but_sents is None or si in but_sents else None
        if found and but_not and not any(a >= but_not.start() for _, a, _, _, _ in found):
            # "approved the consult, but not the MRI": the elliptic clause has the opposite outcome
            found.append((not found[0][0], but_not.start(1), but_not.end(1), 2, False))
        for approved, a, b, strength, earlier in found:
            o = Outcome(approved, a, b, si, strength, text=text[a:b], earlier=earlier)
            outcomes.append(o)
            per_sent.setdefault(si, []).append(o)
    if summary is not None:
        for approved, a, b in summary.conclusions:
            # (the label itself is blanked: the sentence of its line holds it)
            ls, le = text.rfind("\n", 0, a) + 1, (text.find("\n", b) + 1 or len(text) + 1) - 1
            si = next((i for i, sn in enumerate(sents) if ls <= sn.start < le or sn.start <= a < sn.end), -1)
            if si >= 0:
                o = Outcome(approved, a, b, si, 2, text=raw[a:b], conclusion=True)
                outcomes.append(o)
                per_sent.setdefault(si, []).append(o)
        outcomes.sort(key=lambda o: o.start)

    about = _assign_items(text, raw, sents, per_sent, mentions, hits, heading_best, items, lang,
                          need_about=summary is not None)
    if summary is not None:
        # Under an item heading, a rationale conclusion is about that heading's item.
        heads = [si for si, sn in enumerate(sents) if raw.rfind("\n", 0, sn.start) + 1 in summary.lines]
        for o in outcomes:
            if o.conclusion:
                h = max((si for si in heads if si <= o.sent), default=None)
                if h is not None:
                    o.items = list(heading_best.get(h) or about.get(h) or [])
    return Reading(raw, text, lang, sents, dates, pages, counts, deadlines, ages, sexes, outcomes, treatments, mentions,
                   kind="summary" if summary is not None else "worker",
                   tallies=summary.tallies if summary is not None else [],
                   quotes=summary.quotes if summary is not None else [], about=about, asking=asking)


_ITEM_LINE_RE = re.compile(r"\s*(?P<x>[^:]{2,200}?)\s*:\s*(?P<rest>\S.*)$")


def _item_line(text: str, raw: str, sn: Sentence, summary: _SummaryView | None, lang: str) -> tuple[int, int, int] | None:
    """(start, end) of X and the start of the outcome of an "X: outcome" line (or a summary heading
    "## 1. X — OVERTURNED"), or None."""
    if summary is not None:
        hit = summary.lines.get(raw.rfind("\n", 0, sn.start) + 1)
        if hit is not None:
            return hit
    stext = text[sn.start:sn.end]
    if ":" not in stext:
        return None
    m = _ITEM_LINE_RE.match(stext)
    if not m:
        return None
    label = fold(m.group("x")).strip(" .*")
    if label in _LABEL_WORDS or summary is not None and (label in _SUMMARY_LABELS or label.split(" (")[0] in _SUMMARY_LABELS):
        return None
    if not _outcomes_in(text, sn.start + m.start("rest"), sn.end, lang):
        return None
    return sn.start + m.start("x"), sn.start + m.end("x"), sn.start + m.start("rest")


def _reading(ctx: CheckContext) -> Reading:
    return ctx.memo("explanation.reading", lambda: read_explanation(ctx.explanation or "", ctx.lang, ctx.facts,
                                                                    getattr(ctx, "explanation_kind", "worker")))


def _fmt_num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# ----------------------------------------------------------------------------------------------- dates


def _claimed_role(r: Reading, start: int, end: int) -> str | None:
    si = r.sent_of(start)
    if si < 0:
        return None
    sn = r.sents[si]
    best: tuple[int, str] | None = None
    key = "summary" if r.kind == "summary" else r.lang
    rx = _CUE_RES[key]
    if r.text.isascii():  # (the cue pattern is a long case-insensitive alternation: slow to try everywhere)
        cues = StemScan(rx, _CUE_STEMS[key], r.text, sn.start, sn.end).finditer(sn.start, sn.end)
    else:
        cues = rx.finditer(r.text, sn.start, sn.end)
    for m in cues:
        gap = start - m.end() if start >= m.end() else m.start() - end
        gap = max(gap, 0)
        if gap > 70:
            continue
        role = m.lastgroup or ""
        if best is None or gap < best[0]:
            best = (gap, role)
    return best[1] if best else None


@register(
    "explanation.date", code="EXPLANATION_DATE", kind="date", targets=("explanation",),
    severity="error: a date the letter does not state (any format on either side), or one the letter states "
             "in another role while it states this role's date; warning: a role the letter never dates",
)
def check_dates(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every date of the explanation is in the letter, in the role the explanation gives it."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    known = facts.date_values()
    for d in r.dates:
        es = (d.start, d.end)
        role = _claimed_role(r, d.start, d.end)
        if d.date not in known:
            exp = None
            if role and facts.role_dates.get(role):
                exp = ", ".join(x.isoformat() for x in sorted(facts.role_dates[role]))
            yield emit("NOT_IN_LETTER", "error", "explanation",
                       f"says {d.text!r} ({d.date.isoformat()}), a date the letter does not state"
                       + (f"; the letter's {_ROLE_WORDS[role]} is {exp}" if exp and role else ""),
                       found=d.date.isoformat(), expected=exp, span=facts.role_span(role) if role else None,
                       explanation_span=es)
            continue
        if not role or role not in _ROLE_WORDS:
            continue
        stated = facts.role_dates.get(role, set())
        if d.date in stated:
            continue
        if stated:
            exp = ", ".join(x.isoformat() for x in sorted(stated))
            yield emit("WRONG_ROLE", "error", "explanation",
                       f"gives {d.text!r} as the {_ROLE_WORDS[role]}; the letter's {_ROLE_WORDS[role]} is {exp}",
                       found=d.date.isoformat(), expected=exp, span=facts.role_span(role), explanation_span=es)
        else:
            yield emit("ROLE_UNVERIFIED", "warning", "explanation",
                       f"gives {d.text!r} as the {_ROLE_WORDS[role]}; the letter states the date but not in that role",
                       found=d.date.isoformat(), span=facts.first_span(d.date), explanation_span=es)


# ---------------------------------------------------------------------------------------------- counts

_NOUN_WORDS = {"visit": "visits/sessions", "mm": "mm", "day": "days", "week": "weeks", "month": "months", "year": "years"}


def _request_quantity(r: Reading, c: Count, facts: LetterFacts) -> tuple[set[float], float, ItemFact] | None:
    """For a count in a request sentence ("asked for 8 sessions of X"): the amounts the letter states as
    asked for by the named items for that noun (the amount under review, the original request, the request
    for authorization; a frequency x duration as its parts and total), the amount under review, and the item."""
    si = r.sent_of(c.start)
    if si < 0:
        return None
    stext = r.sent_text(si)
    if not _REQUEST_RE[r.lang].search(stext) and not re.search(r"\b(?:should\s+get|agreed.*get|debe\s+recibir)\b", stext, re.I):
        return None
    named = r.mentions.get(si, set())
    if not named and r.kind == "summary":
        named = set(r.about.get(si, ()))  # "- Requested: 6 visits" under its item's heading
    found: tuple[set[float], float, ItemFact] | None = None
    accepted_all: set[float] = set()
    for f in facts.items:
        if not (f.index in named or len(facts.items) == 1) or f.item is None:
            continue
        accepted = f.requested.get(c.noun)
        if not accepted:
            continue
        accepted_all |= accepted
        q = f.item.quantity
        unit = f.item.unit.value if f.item.unit else None
        main = float(q.value) if q is not None and (_noun_key(unit.split()[-1], "en") if unit else "visit") == c.noun else max(accepted)
        if found is None:
            found = (accepted, main, f)
    return (accepted_all, found[1], found[2]) if found else None


def _frequency_totals(r: Reading) -> list[Count]:
    """"3 times a week for 6 weeks" in a request sentence, as the visit total it asks for (18 visits)."""
    out = []
    # In ASCII text, a request phrase holds a request word in lower case (elsewhere a case-insensitive "s" is
    # also "ſ"): only the sentences that hold one (found by the reading) are searched.
    asking = r.asking if r.text.isascii() else None
    for si, sn in enumerate(r.sents):
        if asking is not None and si not in asking:
            continue
        stext = r.text[sn.start:sn.end]
        rq = _REQUEST_RE[r.lang].search(stext)
        if not rq:
            continue
        for fq in frequencies(stext[rq.end():], r.lang):
            a, b = sn.start + rq.end() + fq.start, sn.start + rq.end() + fq.end
            out.append(Count(fq.totals, "visit", a, b, a, b, r.text[a:b], "visit"))
    return out


@register(
    "explanation.count", code="EXPLANATION_COUNT", kind="count", targets=("explanation",),
    severity="error: a number of something the letter counts, but never with that number (or a requested "
             "amount that differs from the item's); warning: a number of something the letter never counts",
)
def check_counts(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every counted amount (digits or words) is one the letter states for that noun."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    for c in [*r.counts, *_frequency_totals(r)]:
        es = (c.start, c.end)
        req = _request_quantity(r, c, facts)
        if req is not None and not all(float(v) in req[0] for v in c.values):
            f = req[2]
            asked = ", ".join(_fmt_num(v) for v in sorted(req[0]))
            yield emit("MISMATCH", "error", "explanation",
                       f"says {c.text!r}; the letter requests {_fmt_num(req[1])} ({f.name})"
                       + (f"; amounts it states as asked for: {asked}" if len(req[0]) > 1 else ""),
                       found=" - ".join(_fmt_num(v) for v in c.values), expected=_fmt_num(req[1]),
                       span=f.item.quantity.evidence.span if f.item and f.item.quantity and f.item.quantity.evidence else f.name_span,
                       explanation_span=es)
            continue
        if req is not None:
            continue
        known = facts.record_counts.get(c.noun)
        if known and all(float(v) in known for v in c.values):
            continue  # (counts holds these too: the letter states them, no need to read it all again)
        stated = facts.counts.get(c.noun)
        if not stated:
            yield emit("UNSUPPORTED", "warning", "explanation",
                       f"says {c.text!r}; the letter states no number of {_NOUN_WORDS.get(c.noun, c.noun)}",
                       found=c.text, explanation_span=es)
            continue
        bad = [v for v in c.values if float(v) not in stated]
        if bad:
            exp = ", ".join(_fmt_num(v) for v in sorted(stated))
            near = min(stated, key=lambda x: abs(x - bad[0]))
            yield emit("MISMATCH", "error", "explanation",
                       f"says {c.text!r}; the letter states {exp} {_NOUN_WORDS.get(c.noun, c.noun)}",
                       found=" - ".join(_fmt_num(v) for v in c.values), expected=exp, span=stated.get(near),
                       explanation_span=es)


# ----------------------------------------------------------------------------------------------- pages


@register(
    "explanation.page", code="EXPLANATION_PAGE", kind="page", targets=("explanation",),
    severity="error: a guideline page the letter does not cite",
)
def check_pages(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every page the explanation cites is cited in the letter."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    cited = sorted(facts.pages)
    for nums, s, e in r.pages:
        for p in nums:
            if p not in facts.pages:
                yield emit("NOT_CITED", "error", "explanation",
                           f"cites page {p}; the letter cites " + (", ".join(map(str, cited)) if cited else "no page"),
                           found=p, expected=", ".join(map(str, cited)) or None,
                           span=next(iter(facts.pages.values()), None) if cited else None, explanation_span=(s, e))


# -------------------------------------------------------------------------------------------- decision


@register(
    "explanation.decision", code="EXPLANATION_DECISION", kind="decision", targets=("explanation",),
    severity="error: an outcome statement (approved / still denied / medically necessary / agreed with the "
             "denial ..., negation applied) that contradicts the item's Upheld/Overturned",
)
def check_decisions(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every outcome statement agrees with the decision of the item it is about."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    for o in r.outcomes:
        if o.earlier and (not o.approved or all(facts.items[i].modified for i in o.items)):
            continue  # said of the first review: UR denied every disputed item, and approved part of a modified one
        if o.conclusion:
            yield from _check_conclusion(o, facts, emit)
            continue
        for i in o.items:
            f = facts.items[i]
            want = f.decision == "overturned"
            if o.approved != want:
                said = "approved" if o.approved else "still denied"
                truth = "Overturned (approved)" if want else "Upheld (still denied)"
                yield emit("CONTRADICTS", "error", "explanation",
                           f"says {o.text!r} ({said}) about {f.name!r}; the letter's decision is {truth}",
                           found=said, expected="approved" if want else "still denied", span=f.decision_span,
                           explanation_span=(o.start, o.end))


def _check_conclusion(o: Outcome, facts: LetterFacts, emit):  # type: ignore[no-untyped-def]
    """"Rationale (not medically necessary)": what the item's rationale concludes (its decision when the
    letter states no conclusion)."""
    for i in o.items:
        f = facts.items[i]
        mn = f.item.medically_necessary if f.item is not None else None
        truth = mn.value if mn is not None else f.decision == "overturned"
        if o.approved != truth:
            said = "medically necessary" if o.approved else "not medically necessary"
            want = "medically necessary" if truth else "not medically necessary"
            yield emit("CONCLUSION", "error", "explanation",
                       f"says the rationale for {f.name!r} concludes {said}; the letter's rationale concludes {want}",
                       found=said, expected=want,
                       span=mn.evidence.span if mn is not None and mn.evidence is not None else f.decision_span,
                       explanation_span=(o.start, o.end))


@register(
    "explanation.tally", code="EXPLANATION_TALLY", kind="decision", targets=("explanation",),
    severity="error: a tally of outcomes (\"Items: 9 (5 overturned, 4 upheld)\", reviewer summary) that differs "
             "from the letter's decisions (kind count for the number of items)",
)
def check_tallies(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """The summary's counts of items, overturned and upheld are the letter's."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    if not facts.items:
        return
    truth = {"items": len(facts.items), "overturned": sum(f.decision == "overturned" for f in facts.items),
             "upheld": sum(f.decision == "upheld" for f in facts.items)}
    for what, n, s, e in r.tallies:
        if n == truth[what]:
            continue
        if what == "items":
            yield emit("ITEMS", "error", "explanation",
                       f"says {n} items; the letter decides {truth['items']}", found=n, expected=truth["items"],
                       explanation_span=(s, e))
        else:
            yield emit("OUTCOMES", "error", "explanation",
                       f"says {n} {what}; the letter has {truth[what]} {what}", found=n, expected=truth[what],
                       explanation_span=(s, e))


@register(
    "explanation.quote", code="EXPLANATION_QUOTE", kind="grounding", targets=("explanation",),
    severity="warning: (reviewer summary) a quotation the letter does not contain (line breaks, hyphenation "
             "and page footers aside)",
)
def check_quotes(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """What the reviewer summary quotes is in the letter."""
    if ctx.explanation is None:
        return
    r = _reading(ctx)
    for s, e, inside in r.quotes:
        if not inside:
            yield emit("NOT_IN_LETTER", "warning", "explanation",
                       f"quotes {r.raw[s:e][:120]!r}, which the letter does not contain", found=r.raw[s:e][:200],
                       explanation_span=(s, e))


# ------------------------------------------------------------------------------------------- treatment


@register(
    "explanation.treatment", code="EXPLANATION_TREATMENT", kind="treatment", targets=("explanation",),
    severity="error: a treatment named as requested or decided that is not a disputed item (its specific "
             "treatment words match no item, glossary synonyms included)",
)
def check_treatments(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every treatment named as requested or decided is a disputed item."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    if not facts.items:
        return
    names = "; ".join(f.name for f in facts.items)
    all_vocab: set[str] = set()
    for f in facts.items:
        all_vocab |= f.vocab

    def known(w: str) -> bool:  # a word of some item, or of the same family as one of an item's words
        return w in all_vocab or any(_in_family(w, f) for f in facts.items)

    for t in r.treatments:
        phrase = treatment_words(t.text)
        core = core_of(phrase)
        how = "requested" if t.source == "request" else "decided"
        if core and not any(_item_covers(core, f) for f in facts.items) and not all(known(w) for w in core):
            # (a phrase naming several items is fine: "a TENS unit and E-stim", "Blood tests (CBC and BMP)")
            unknown = sorted(w for w in core if not known(w))
            yield emit("NOT_DISPUTED", "error", "explanation",
                       f"names {t.text.strip()!r} as {how}, but {', '.join(unknown) or 'it'} is not a disputed item; "
                       f"the letter decides: {names}",
                       found=t.text.strip(), expected=names, explanation_span=(t.start, t.end))
            continue
        wrong = _wrong_body_part(phrase, facts)
        if wrong is not None:
            f, said, truth = wrong
            yield emit("BODY_PART", "error", "explanation",
                       f"names {t.text.strip()!r} as {how}, for the {said}; the letter's item is {f.name!r} ({truth})",
                       found=t.text.strip(), expected=f.name, span=f.name_span, explanation_span=(t.start, t.end))


def _wrong_body_part(phrase: str, facts: LetterFacts) -> tuple[ItemFact, str, str] | None:
    """The item a treatment phrase names, when the phrase puts it on another body region or side than the
    letter does ("lumbar fusion at L4-L5" for a cervical fusion, "left knee" for the right knee); else None.
    Only an item whose name states the region (or side) is compared, and a phrase naming more than one
    item is left alone."""
    regions, sides = body_regions(phrase), body_sides(phrase)
    if not regions and not sides:
        return None
    named = _named_items(phrase, facts.items)
    if len(named) != 1:
        return None
    f = facts.items[named[0]]
    if regions and f.regions and not regions & f.regions:
        return f, "/".join(sorted(regions)), "/".join(sorted(f.regions))
    if sides and f.sides and not sides & f.sides and not (regions and f.regions and regions != f.regions):
        return f, "/".join(sorted(sides)) + " side", "/".join(sorted(f.sides)) + " side"
    return None


# -------------------------------------------------------------------------------------------- deadline


@register(
    "explanation.deadline", code="EXPLANATION_DEADLINE", kind="deadline", targets=("explanation",),
    severity="error: an appeal window other than 30 days (of the mailing date), an implementation deadline "
             "other than 5 working days (authorisation) or 20 days (reimbursement)",
)
def check_deadlines(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Appeal and implementation deadlines are the legal ones (8 CCR 9792.10.7)."""
    if ctx.explanation is None:
        return
    r = _reading(ctx)
    for d in r.deadlines:
        c = d.count
        es = (c.start, c.end)
        days = c.values[-1] if c.noun == "day" else None
        working = bool(_WORKING_RE.search(r.text[c.start:c.end + 12]))
        if d.context == "appeal":
            if days == APPEAL_DAYS and not working:
                continue
            yield emit("APPEAL", "error", "explanation",
                       f"gives the appeal deadline as {c.text!r}; a petition to the Workers' Compensation Appeals "
                       f"Board must be filed within {APPEAL_DAYS} days of the mailing date",
                       found=c.text, expected=f"{APPEAL_DAYS} days", explanation_span=es)
        else:
            stext = r.sent_text(d.sent)
            ok = {AUTHORIZE_WORKING_DAYS, REIMBURSE_DAYS} if _REIMB_RE.search(stext) else {AUTHORIZE_WORKING_DAYS}
            if days is not None and days in ok:
                continue
            yield emit("IMPLEMENTATION", "error", "explanation",
                       f"gives the implementation deadline as {c.text!r}; the claims administrator must authorize "
                       f"within {AUTHORIZE_WORKING_DAYS} working days (or pay within {REIMBURSE_DAYS} days for care "
                       f"already given)", found=c.text, expected=f"{AUTHORIZE_WORKING_DAYS} working days",
                       explanation_span=es)


# ------------------------------------------------------------------------------------------ demographic


@register(
    "explanation.demographic", code="EXPLANATION_DEMOGRAPHIC", kind="demographic", targets=("explanation",),
    severity="error: an age or sex that contradicts the letter's worker; warning: one the letter does not state",
)
def check_demographic(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Age and sex words agree with the letter's worker."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    for age, s, e in r.ages:
        if facts.age is None:
            yield emit("AGE_UNSUPPORTED", "warning", "explanation", f"says the worker is {age}; the letter states no age",
                       found=age, explanation_span=(s, e))
        elif age != facts.age:
            yield emit("AGE", "error", "explanation", f"says {r.text[s:e]!r}; the letter's worker is {facts.age}",
                       found=age, expected=facts.age, span=facts.age_span, explanation_span=(s, e))
    for sex, s, e in r.sexes:
        if not sex:
            continue
        if facts.sex is None:
            yield emit("SEX_UNSUPPORTED", "warning", "explanation", f"says {r.text[s:e]!r}; the letter does not state the sex",
                       found=sex, explanation_span=(s, e))
        elif sex != facts.sex:
            yield emit("SEX", "error", "explanation", f"says {r.text[s:e]!r}; the letter's worker is {facts.sex}",
                       found=sex, expected=facts.sex, span=facts.sex_span, explanation_span=(s, e))


# -------------------------------------------------------------------------------------------- guideline


@register(
    "explanation.guideline", code="EXPLANATION_GUIDELINE", kind="guideline", targets=("explanation",),
    severity="error: a guideline source (MTUS, ACOEM, ODG) that the letter does not cite",
)
def check_guidelines(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Every guideline source named is one the letter cites."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    low = r.text.lower()
    for src, rx in _SOURCES.items():
        if src in facts.sources or not any(k in low for k in _SOURCE_STEMS[src]):
            continue  # (a source the letter cites is never a finding: its mentions need not be found)
        for m in rx.finditer(r.text):
            yield emit("SOURCE_NOT_CITED", "error", "explanation",
                       f"names {m.group(0)!r}; the letter cites {', '.join(sorted(facts.sources)) or 'no guideline'}",
                       found=src, expected=", ".join(sorted(facts.sources)) or None,
                       explanation_span=(m.start(), m.end()))


# --------------------------------------------------------------------------------------------- missing


@register(
    "explanation.missing", code="EXPLANATION_MISSING", kind="missing", targets=("explanation",),
    severity="error: an item with no outcome statement, no appeal right (the Workers' Compensation Appeals "
             "Board and the 30-day window); warning: no 'what happens next'",
)
def check_missing(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """Each item's outcome, what happens next and the appeal right are all there."""
    if ctx.explanation is None:
        return
    r, facts = _reading(ctx), ctx.facts
    decided = {i for o in r.outcomes if not o.earlier and not o.conclusion for i in o.items}
    for f in facts.items:
        if f.index not in decided:
            yield emit("OUTCOME", "error", "explanation",
                       f"does not say what was decided for {f.name!r} ({'approved' if f.decision == 'overturned' else 'still denied'})",
                       expected=f.decision, span=f.decision_span)
    if r.kind == "summary":
        return  # what happens next and the appeal right are the worker's, not the reviewer summary's
    if not _search_from_stems(_NEXT_RE[r.lang], _NEXT_STEMS[r.lang], r.text, _NEXT_STARTS.get(r.lang, ())):
        yield emit("NEXT_STEP", "warning", "explanation", "does not say what happens next")
    wcab = _search_from_stems(_WCAB_RE[r.lang], _WCAB_STEMS[r.lang], r.text, _WCAB_STARTS.get(r.lang, ()))
    if not wcab:
        yield emit("APPEAL_RIGHT", "error", "explanation",
                   f"does not tell the worker of the right to appeal to the Workers' Compensation Appeals Board "
                   f"within {APPEAL_DAYS} days of the mailing date", expected="WCAB, 30 days")
    elif not any(d.context == "appeal" for d in r.deadlines):
        yield emit("APPEAL_DEADLINE", "error", "explanation",
                   f"names the Appeals Board but not the {APPEAL_DAYS}-day window (from the mailing date)",
                   expected=f"{APPEAL_DAYS} days", explanation_span=(wcab.start(), wcab.end()))


# ----------------------------------------------------------------------------------------- readability

@register(
    "explanation.readability", code="EXPLANATION_READABILITY", kind="readability", targets=("explanation",),
    severity=f"warning: Flesch-Kincaid grade above {FK_GRADE_MAX:g} (English), Fernandez-Huerta below "
             f"{FERNANDEZ_HUERTA_MIN:g} (Spanish)",
)
def check_readability(ctx: CheckContext, emit):  # type: ignore[no-untyped-def]
    """The reading level is at most grade 6 (measured as :mod:`imrassist.explain.readability` measures it,
    so the check and the explainer's own grade agree; one lock guards textstat's global language)."""
    if not ctx.explanation or len(ctx.explanation.split()) < 5 or getattr(ctx, "explanation_kind", "worker") == "summary":
        return  # the reviewer summary is the clinical register: no reading-grade target
    from ..explain.readability import measure

    m = measure(ctx.explanation, ctx.lang)
    if ctx.lang == "es":
        if m.score < FERNANDEZ_HUERTA_MIN:
            yield emit("ABOVE_TARGET", "warning", "explanation",
                       f"Fernandez-Huerta readability {m.score:.1f} (about grade {m.grade:.1f}); the target is "
                       f"{FERNANDEZ_HUERTA_MIN:g} or more (grade {FK_GRADE_MAX:g})",
                       found=f"{m.score:.1f}", expected=f">= {FERNANDEZ_HUERTA_MIN:g}")
    elif m.grade > FK_GRADE_MAX:
        yield emit("ABOVE_TARGET", "warning", "explanation",
                   f"Flesch-Kincaid grade {m.grade:.1f}; the target is grade {FK_GRADE_MAX:g} or below",
                   found=f"{m.grade:.1f}", expected=f"<= {FK_GRADE_MAX:g}")


__all__ = ["read_explanation", "Reading", "APPEAL_DAYS", "AUTHORIZE_WORKING_DAYS", "REIMBURSE_DAYS"]
