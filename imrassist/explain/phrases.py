"""The worker explanation's wording, per language, as data.

Every sentence the template backend can say lives here, with ``{placeholders}`` filled only from the
CaseRecord. Nothing in these strings states a date, a count or a page of its own; the only numbers in them
are the two fixed by law (the 5 working days to authorize an approved treatment, 8 CCR 9792.10.8, and the
30 days to appeal, Labor Code 4610.6(h)), which the deadline checks look for.

Keys ending in ``_sg`` / ``_pl`` are the forms for one item / several items sharing a sentence.
Write for a grade-6 reader: short sentences, short words, "you".
"""

from __future__ import annotations

from typing import Any

#: Fixed by law, not read from a letter: the checks whitelist these (see the module docstring).
STATUTORY_NUMBERS: frozenset[int] = frozenset({5, 30})

EN: dict[str, Any] = {
    "title": "# Your Independent Medical Review (IMR) decision",
    "case": "Case number: {case}",
    # --- who and when
    "injury": "You were hurt at work on {date}.",
    "who_age_sex": "The letter describes you as a {age}-year-old {sex}.",
    "who_age": "The letter says you are {age} years old.",
    "who_sex": "The letter describes you as a {sex}.",
    "sex": {"male": "man", "female": "woman"},
    "ur_denied_date": "On {date}, the claims administrator said no to the request. This step is called "
    "utilization review.",
    "ur_modified_date": "On {date}, the claims administrator said yes to only part of the request. This step is called "
    "utilization review.",
    "ur_denied": "The claims administrator said no to the request. This step is called utilization review.",
    "ur_modified": "The claims administrator said yes to only part of the request. This step is called utilization "
    "review.",
    "expert": "Then an outside expert doctor looked at your records.",
    "determination": "The decision date on this letter is {date}.",
    # --- the decision
    "h_decision": "## What the expert decided",
    "h_approved": "### What is approved",
    "h_denied": "### What is still denied",
    "outcome": {"overturned": "approved", "upheld": "still denied"},
    "item_line": "**{name}: {outcome}.**",
    "bullet": "- {name}: {outcome}.",
    "gloss_sentence": "{term} means {gloss}.",
    "why": "Why: {reason}",
    "partial": "The claims administrator had already said yes to part of the request: {authorized}. This review "
    "was only about the rest.",
    "dos": "for the service date {date}",
    "retro": "asked for after the fact",
    "guides_used_sg": "The expert looked at what {guides} say.",
    "guides_used_pl": "The expert looked at what {guides} say.",
    "guides_none_sg": "The expert did not name a guideline for this item.",
    "guides_none_pl": "The expert did not name a guideline for these items.",
    "limit_range": "These guidelines allow {lo} to {hi} {unit}.",
    "limit_max": "These guidelines allow up to {hi} {unit}.",
    "limit_min": "These guidelines call for at least {lo} {unit}.",
    "over_limit_sg": "The request was for more than that.",
    "over_limit_pl": "The requests were for more than that.",
    "within_limit_sg": "The request fits within that limit.",
    "within_limit_pl": "The requests fit within that limit.",
    "mn_yes_sg": "So the expert said yes. It is medically necessary.",
    "mn_yes_pl": "So the expert said yes. They are medically necessary.",
    "mn_no_sg": "So the expert said no. It is not medically necessary.",
    "mn_no_pl": "So the expert said no. They are not medically necessary.",
    "agree_denial_sg": "The expert agreed with the denial.",
    "agree_denial_pl": "The expert agreed with the denial.",
    "disagree_denial_sg": "The expert did not agree with the denial.",
    "disagree_denial_pl": "The expert did not agree with the denial.",
    "total_items": "in all",
    # --- guidelines in plain words; {pages} is "" or ", page 60"
    "guide": {
        "MTUS": "California's treatment guidelines (MTUS{pages})",
        "ACOEM": "the ACOEM guidelines{paren_pages}",
        "ODG": "the Official Disability Guidelines (ODG{pages})",
        "OTHER": "other medical sources{paren_pages}",
    },
    # the same source named again later in the text
    "guide_again": {
        "MTUS": "the MTUS guidelines{paren_pages}",
        "ACOEM": "the ACOEM guidelines{paren_pages}",
        "ODG": "the ODG guidelines{paren_pages}",
        "OTHER": "other medical sources{paren_pages}",
    },
    "page_one": "page {p}",
    "page_many": "pages {ps}",
    "and": "and",
    # --- what happens next
    "h_next": "## What happens next",
    "next_approved_only_sg": "The earlier denial is overturned. So you can now get this care. The claims "
    "administrator must authorize it within 5 working days of getting this decision.",
    "next_approved_only_pl": "The earlier denials are overturned. So you can now get this care. The claims "
    "administrator must authorize it within 5 working days of getting this decision.",
    "next_denied_only_sg": "The denial stands. Your doctor may send a new request if your condition changes.",
    "next_denied_only_pl": "The denials stand. Your doctor may send a new request if your condition changes.",
    # When some items are approved and some still denied, each group ends with its own next step, so that
    # every outcome word sits right after the items it is about.
    "next_group": {
        "overturned": "**What happens next:** you can now get this care. The claims administrator must authorize "
        "it within 5 working days of getting this decision.",
        "upheld": "**What happens next:** the denial stands. Your doctor may send a new request if your condition "
        "changes.",
    },
    # --- the appeal right (Labor Code 4610.6(h))
    "h_appeal": "## Your right to appeal",
    "ia_gloss": " ({gloss})",
    "appeal": [
        "If you disagree with this decision, you may appeal to the Workers' Compensation Appeals Board (WCAB).",
        "You must do this within 30 days of the date the decision was mailed to you. Do not wait.",
        "Keep this letter, and note the day it came.",
        "Your appeal must be signed. This is called a verified appeal.",
        "The Board can change the decision only for a few reasons. Some of them are fraud, bias, or a plain "
        "mistake of fact.",
        "You can get free help. Ask an Information & Assistance officer{ia_gloss}. You can also talk to an "
        "attorney.",
    ],
    # units for amounts and limits: singular, plural
    "units": {
        "visit": ("visit", "visits"),
        "session": ("session", "sessions"),
        "treatment": ("treatment", "treatments"),
        "day": ("day", "days"),
        "week": ("week", "weeks"),
        "month": ("month", "months"),
        "refill": ("refill", "refills"),
        "tablet": ("tablet", "tablets"),
        "pill": ("pill", "pills"),
        "patch": ("patch", "patches"),
        "injection": ("injection", "injections"),
        "unit": ("unit", "units"),
    },
    "months": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
    "date": "{month} {day}, {year}",
}

ES: dict[str, Any] = {
    "title": "# Su decisión de Revisión Médica Independiente (IMR)",
    "case": "Número de caso: {case}",
    "injury": "Usted se lastimó en el trabajo el {date}.",
    "who_age_sex": "{sex_intro} de {age} años.",
    "who_age": "La carta dice que usted tiene {age} años.",
    "who_sex": "{sex_intro}.",
    "sex": {"male": "La carta lo describe como un hombre", "female": "La carta la describe como una mujer"},
    "ur_denied_date": "El {date}, el administrador de reclamos dijo que no a la solicitud. Este paso se llama "
    "revisión de utilización.",
    "ur_modified_date": "El {date}, el administrador de reclamos dijo que sí solo a una parte de la solicitud. Este paso se "
    "llama revisión de utilización.",
    "ur_denied": "El administrador de reclamos dijo que no a la solicitud. Este paso se llama revisión de "
    "utilización.",
    "ur_modified": "El administrador de reclamos dijo que sí solo a una parte de la solicitud. Este paso se llama revisión "
    "de utilización.",
    "expert": "Después, un médico experto de fuera revisó sus expedientes.",
    "determination": "La fecha de la decisión en esta carta es el {date}.",
    "h_decision": "## Lo que decidió el experto",
    "h_approved": "### Lo que está aprobado",
    "h_denied": "### Lo que sigue negado",
    "outcome": {"overturned": "aprobado", "upheld": "sigue negado"},
    "item_line": "**{name}: {outcome}.**",
    "bullet": "- {name}: {outcome}.",
    "gloss_sentence": "{term} quiere decir {gloss}.",
    "why": "Por qué: {reason}",
    "partial": "El administrador de reclamos ya había dicho que sí a una parte de la solicitud: {authorized}. Esta "
    "revisión fue solo sobre el resto.",
    "dos": "para la fecha de servicio {date}",
    "retro": "pedido después del servicio",
    "guides_used_sg": "El experto consultó {guides}.",
    "guides_used_pl": "El experto consultó {guides}.",
    "guides_none_sg": "El experto no nombró ninguna guía para esto.",
    "guides_none_pl": "El experto no nombró ninguna guía para estos puntos.",
    "limit_range": "Estas guías permiten de {lo} a {hi} {unit}.",
    "limit_max": "Estas guías permiten hasta {hi} {unit}.",
    "limit_min": "Estas guías piden al menos {lo} {unit}.",
    "over_limit_sg": "La solicitud pedía más que eso.",
    "over_limit_pl": "Las solicitudes pedían más que eso.",
    "within_limit_sg": "La solicitud está dentro de ese límite.",
    "within_limit_pl": "Las solicitudes están dentro de ese límite.",
    "mn_yes_sg": "Por eso, el experto dijo que sí. Es médicamente necesario.",
    "mn_yes_pl": "Por eso, el experto dijo que sí. Son médicamente necesarios.",
    "mn_no_sg": "Por eso, el experto dijo que no. No es médicamente necesario.",
    "mn_no_pl": "Por eso, el experto dijo que no. No son médicamente necesarios.",
    "agree_denial_sg": "El experto estuvo de acuerdo con la negación.",
    "agree_denial_pl": "El experto estuvo de acuerdo con la negación.",
    "disagree_denial_sg": "El experto no estuvo de acuerdo con la negación.",
    "disagree_denial_pl": "El experto no estuvo de acuerdo con la negación.",
    "total_items": "en total",
    "guide": {
        "MTUS": "las guías de tratamiento de California (MTUS{pages})",
        "ACOEM": "las guías de ACOEM{paren_pages}",
        "ODG": "las Guías Oficiales de Discapacidad (ODG{pages})",
        "OTHER": "otras fuentes médicas{paren_pages}",
    },
    "guide_again": {
        "MTUS": "las guías MTUS{paren_pages}",
        "ACOEM": "las guías de ACOEM{paren_pages}",
        "ODG": "las guías ODG{paren_pages}",
        "OTHER": "otras fuentes médicas{paren_pages}",
    },
    "page_one": "página {p}",
    "page_many": "páginas {ps}",
    "and": "y",
    "h_next": "## Qué pasa ahora",
    "next_approved_only_sg": "La negación anterior se anula. Así que ahora puede recibir esta atención. El "
    "administrador de reclamos debe autorizarla en un plazo de 5 días hábiles después de recibir esta decisión.",
    "next_approved_only_pl": "Las negaciones anteriores se anulan. Así que ahora puede recibir esta atención. El "
    "administrador de reclamos debe autorizarla en un plazo de 5 días hábiles después de recibir esta decisión.",
    "next_denied_only_sg": "La negación se mantiene. Su médico puede enviar una nueva solicitud si su condición cambia.",
    "next_denied_only_pl": "Las negaciones se mantienen. Su médico puede enviar una nueva solicitud si su condición "
    "cambia.",
    "next_group": {
        "overturned": "**Qué pasa ahora:** ahora puede recibir esta atención. El administrador de reclamos debe "
        "autorizarla en un plazo de 5 días hábiles después de recibir esta decisión.",
        "upheld": "**Qué pasa ahora:** la negación se mantiene. Su médico puede enviar una nueva solicitud si su "
        "condición cambia.",
    },
    "h_appeal": "## Su derecho a apelar",
    "ia_gloss": ", {gloss}",
    "appeal": [
        "Si no está de acuerdo con esta decisión, puede apelar ante la Junta de Apelaciones de Compensación de "
        "Trabajadores (WCAB, Workers' Compensation Appeals Board).",
        "Debe hacerlo dentro de los 30 días a partir de la fecha en que se le envió por correo esta decisión. "
        "No espere.",
        "Guarde esta carta y anote el día en que le llegó.",
        "Su apelación debe estar firmada. Esto se llama apelación verificada.",
        "La Junta solo puede cambiar la decisión por pocas razones. Algunas son el fraude, un prejuicio o un "
        "error claro sobre los hechos.",
        "Puede recibir ayuda gratis. Hable con un oficial de Información y Asistencia{ia_gloss}. También puede "
        "hablar con un abogado.",
    ],
    "units": {
        "visit": ("visita", "visitas"),
        "session": ("sesión", "sesiones"),
        "treatment": ("tratamiento", "tratamientos"),
        "day": ("día", "días"),
        "week": ("semana", "semanas"),
        "month": ("mes", "meses"),
        "refill": ("resurtido", "resurtidos"),
        "tablet": ("tableta", "tabletas"),
        "pill": ("pastilla", "pastillas"),
        "patch": ("parche", "parches"),
        "injection": ("inyección", "inyecciones"),
        "unit": ("unidad", "unidades"),
    },
    "months": [
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ],
    "date": "{day} de {month} de {year}",
}

PHRASES: dict[str, dict[str, Any]] = {"en": EN, "es": ES}

# --------------------------------------------------------------------------------------- the reasons
#
# One short sentence drawn from the rationale, chosen by what the rationale says. A rule fires when one
# sentence of the rationale matches ``topic`` and (when given) ``negated`` — the letter's own statement that
# the records lack something — and the item's conclusion is ``when`` (False: not medically necessary,
# True: medically necessary). Rules are tried in order; at most ``MAX_REASONS`` fire per item. They never
# carry a number: the limit sentence states the figures, from the record.

MAX_REASONS = 2

#: The letter says the records lack something: "lack of documentation", "there was no", "has not documented".
RECORDS_LACK = (
    r"\b(?:lack of|no|not|nor|without|absence of|inadequate|insufficient|failed to|fails to|"
    r"neither|none)\b"
)

#: Reasons a rationale gives, found by ``topic`` in one of its sentences. ``needs``: words (lower case) one of
#: which every match of ``topic`` contains, so a sentence holding none is not searched (a cheap first test;
#: ``benchmarks/golden.py`` checks it on every rationale of the corpus).
REASONS: list[dict[str, Any]] = [
    {
        "id": "ancillary_denied",
        "when": False,
        "topic": r"(?:surg|procedure|operat)[^.]{0,120}\bnot\b[^.]{0,60}(?:necessary|supported|certified|"
        r"indicated|approved)[^.]{0,120}\b(?:ancillary|associated|related|accompanying)\b"
        r"|\b(?:ancillary|associated|related|accompanying)\b[^.]{0,80}\bnot\b[^.]{0,60}necessary[^.]{0,40}"
        r"\b(?:since|as|because)\b[^.]{0,80}(?:surg|procedure|operat)",
        "needs": ("ancillary", "associated", "related", "accompanying"),
        "group": "ancillary",
        "en_sg": "The surgery was not approved, so this is not needed either.",
        "en_pl": "The surgery was not approved, so this is not needed either.",
        "es_sg": "La cirugía no fue aprobada, así que esto tampoco es necesario.",
        "es_pl": "La cirugía no fue aprobada, así que esto tampoco es necesario.",
    },
    {
        "id": "ancillary_approved",
        "when": True,
        "topic": r"(?:has been|was|is) (?:approved|certified|authorized) (?:to undergo|for)[^.]{0,60}(?:surg|procedure)",
        "needs": ("approved", "certified", "authorized"),
        "en_sg": "The surgery was approved, so this is needed too.",
        "en_pl": "The surgery was approved, so this is needed too.",
        "es_sg": "La cirugía fue aprobada, así que esto también es necesario.",
        "es_pl": "La cirugía fue aprobada, así que esto también es necesario.",
    },
    {
        "id": "exceeds",
        "when": False,
        "topic": r"\b(?:exceed(?:s|ed|ing)?|in excess of)\b[^.]{0,80}\b(?:guideline|guidelines|MTUS|ODG|"
        r"recommend\w*|limit\w*)\b",
        "needs": ("exceed", "in excess of"),
        "en_sg": "This would go beyond what the guidelines allow.",
        "en_pl": "These would go beyond what the guidelines allow.",
        "es_sg": "Esto pasaría de lo que permiten las guías.",
        "es_pl": "Esto pasaría de lo que permiten las guías.",
    },
    {
        "id": "no_functional_improvement",
        "when": False,
        "negated": True,
        "topic": r"\bfunction(?:al)?\b[^.]{0,30}\b(?:improvement|benefit|gains?|improv\w*)\b"
        r"|\bimprove\w*\b[^.]{0,20}\bfunction",
        "needs": ("function",),
        "en_sg": "Your records did not show that past treatment helped you do more.",
        "en_pl": "Your records did not show that past treatment helped you do more.",
        "es_sg": "Sus expedientes no mostraron que el tratamiento anterior le ayudara a hacer más.",
        "es_pl": "Sus expedientes no mostraron que el tratamiento anterior le ayudara a hacer más.",
    },
    {
        "id": "no_red_flags",
        "when": False,
        "negated": True,
        "topic": r"red[- \"']*flag",
        "needs": ("flag",),
        "en_sg": "Your records did not show serious warning signs, called red flags.",
        "en_pl": "Your records did not show serious warning signs, called red flags.",
        "es_sg": "Sus expedientes no mostraron señales de alarma graves.",
        "es_pl": "Sus expedientes no mostraron señales de alarma graves.",
    },
    {
        "id": "no_nerve_signs",
        "when": False,
        "negated": True,
        "records": True,
        "topic": r"\bneurolog\w*\s+(?:deficit|abnormalit|finding|compromise|sign)|\bnerve compromise"
        r"|indicative of radiculopathy|\bevidence of radiculopathy|\bradiculopathy\b[^.]{0,40}\bdocument",
        "needs": ("neurolog", "nerve compromise", "radiculopathy"),
        "en_sg": "Your records did not show clear signs of a nerve problem.",
        "en_pl": "Your records did not show clear signs of a nerve problem.",
        "es_sg": "Sus expedientes no mostraron señales claras de un problema de los nervios.",
        "es_pl": "Sus expedientes no mostraron señales claras de un problema de los nervios.",
    },
    {
        "id": "no_conservative_care",
        "when": False,
        "negated": True,
        "topic": r"\bconservative (?:care|treatment|management|therapy|measures)",
        "needs": ("conservative",),
        "en_sg": "Your records did not show that simpler care was tried first and did not work.",
        "en_pl": "Your records did not show that simpler care was tried first and did not work.",
        "es_sg": "Sus expedientes no mostraron que antes se probó un tratamiento más sencillo sin éxito.",
        "es_pl": "Sus expedientes no mostraron que antes se probó un tratamiento más sencillo sin éxito.",
    },
    {
        "id": "no_surgery_planned",
        "when": False,
        "negated": True,
        "topic": r"\b(?:candidate for surgery|plan(?:ned)? for surgery|surgery (?:is|was) (?:being )?considered"
        r"|surgical candidate)",
        "needs": ("surg",),
        "en_sg": "Your records did not show that surgery is planned.",
        "en_pl": "Your records did not show that surgery is planned.",
        "es_sg": "Sus expedientes no mostraron que se planea una cirugía.",
        "es_pl": "Sus expedientes no mostraron que se planea una cirugía.",
    },
    {
        "id": "not_recommended",
        "when": False,
        "topic": r"\b(?:is|are) not recommended\b|\bdo(?:es)? not recommend\b|\bnot recommended for\b",
        "needs": ("recommend",),
        "en_sg": "The guidelines do not recommend it in a case like yours.",
        "en_pl": "The guidelines do not recommend them in a case like yours.",
        "es_sg": "Las guías no lo recomiendan en un caso como el suyo.",
        "es_pl": "Las guías no los recomiendan en un caso como el suyo.",
    },
    {
        "id": "records_support",
        "when": True,
        "records": True,
        "topic": r"\b(?:records?|documentation|exam\w*|findings)\b[^.]{0,80}\b(?:support\w*|indicate\w*|show\w*|"
        r"document\w*)\b",
        "needs": ("record", "documentation", "exam", "findings"),
        "en_sg": "Your records supported the request.",
        "en_pl": "Your records supported the requests.",
        "es_sg": "Sus expedientes respaldaron la solicitud.",
        "es_pl": "Sus expedientes respaldaron las solicitudes.",
    },
]

# --------------------------------------------------------------------------------------- treatment names
#
# Words lower-cased when a letter writes an item in capitals ("6 SESSION OF PUSH THERAPY"); any other
# capitalised word (an acronym such as PUSH, TENS, MRI) is kept as written.

COMMON_WORDS: frozenset[str] = frozenset(
    """
    a an and at by for from in into of on or per the to with without under over after before both each
    session sessions visit visits treatment treatments therapy therapies times time week weeks day days
    month months refill refills tablet tablets unit units purchase rental rent additional initial follow up
    physical occupational massage manual chiropractic acupuncture injection injections block blocks
    epidural steroid lumbar cervical thoracic spine back neck shoulder shoulders knee knees hip hips ankle
    foot feet wrist hand hands elbow arm arms leg legs left right bilateral upper lower extremity extremities
    program programs home exercise evaluation consult consultation referral office visit surgery surgical
    repair replacement release study studies scan test testing lab labs urine drug screen medication
    medications cream gel patch patches pain management trial retrospective post pre op operative
    postoperative preoperative assistant surgeon clearance brace sling cold heat pad pads wrap wraps
    """.split()
)

#: ``#60`` after a drug name, by dosage form. The first pattern that matches the item name wins.
DISPENSE_FORMS: list[tuple[str, str]] = [
    (r"\bpatch(?:es)?\b", "patch"),
    (r"\b(?:cream|gel|ointment|lotion|spray|solution|liquid|ml|topical)\b", ""),
    (r"\b(?:tab|tabs|tablet|tablets)\b", "tablet"),
    (r"\bmg\b", "tablet"),
]

#: Glossary terms that are context, not the thing asked for: glossed only when nothing else in the name is.
SECONDARY_TERMS: frozenset[str] = frozenset(
    {"lumbar", "cervical", "fluoroscopy", "range of motion", "radiculopathy", "spasm", "sprain or strain",
     "medically necessary", "not medically necessary", "upheld", "overturned", "MTUS", "ACOEM", "ODG",
     "utilization review", "independent medical review", "claims administrator", "date of injury",
     "request for authorization", "functional improvement", "conservative care", "modalities"}
)

#: At most this many glosses per item name.
MAX_GLOSSES_PER_ITEM = 2

#: Items listed one by one (bold line + why) up to this many; above it, grouped under Approved / Still denied.
GROUP_ABOVE = 3

#: In a list, a name this short carries its gloss in parentheses; a longer one is followed by "X means Y."
INLINE_GLOSS_WORDS = 6
