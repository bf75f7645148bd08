"""Who people are is never a signal: identity terms become one placeholder before featurization.

A message's sexual orientation, gender identity, race or ethnicity, religion, disability,
immigration status or age words ("I'm gay", "as a Black woman", "I'm on a visa", "I'm 70")
are replaced by a single token, PLACEHOLDER, in every view the intent classifier learns
from and predicts on (bot/nlu/classifier.py). So the model never sees the terms
themselves, and two messages that differ only in the term are the same input: the same
intent, whatever the term (tests/integration/nlu/test_identity_invariance.py).
The lists hold Spanish terms too ("lesbiana", "silla de ruedas", "musulmana"): the classifier
reads Spanish messages for danger, and who a Spanish writer is is no more a signal.

One placeholder for every category, not one per category. Invariance is asked of every
term against every other ("I'm Muslim and..." and "I'm gay and..." get one intent), and a
placeholder per category would give the categories back the very difference the test
forbids. What the terms share, that a message is about who the person (or their
therapist) is, is the topic of faq_cultural_fit ("Culture and identity": race, gender
identity, religion, background), and the placeholder learns that from the training
examples that used to hold the terms. The topic words of other FAQs are not identity
terms and stay: religion, religious, faith, god, church, spirituality (faq_religion);
sex, sexuality, sexual orientation, intimacy (faq_sex); culture, race, ethnicity,
gender identity, heritage, background (faq_cultural_fit). So "I'm Muslim, can I talk
about my faith?" is still faq_religion, through "faith".

Left alone on purpose:
- words that are identity terms only in some senses are replaced only in those:
  "old", "young", "straight" and a bare adult age ("70") after a form of "be" ("I'm old",
  "my therapist is 70") or before a person noun ("an old man"), never in "my old
  therapist", "how old is", "straight away"; "Black"/"white"/"blind"/"deaf" not in
  idioms ("black and white", "blackout", "black dog", "white lie", "blind spot", "turn a
  blind eye", "deaf ears"); "disabled" not as a verb ("I disabled notifications");
- a child's age ("my 12 year old", "I'm 15"): ages under 18 stay in the text, because a
  child's age is a safeguarding signal the crisis examples rely on ("a man online wants
  to meet my 12 year old"). "a teenager" and "a teen" are replaced;
- mental-health conditions and diagnoses (depressed, bipolar, ADHD...): they are what
  the crisis and medical-advice intents are about, not who someone is;
- plain gender ("a woman", "a man"): it is in too many examples where it matters
  ("a man online wants to meet..."); after an identity term it is part of the term
  ("a gay man", "a trans woman", "a Black woman" are one term).

Matching is case-insensitive, whole words only ("blindly", "whitepaper", "transfer",
"Christianity" and "Arabic" are not terms), with any spacing or hyphenation of a
multi-word term ("non-binary", "non binary", "nonbinary"); a leading "a"/"an" and a
following person noun belong to the term ("I'm a gay man" = "I'm gay"), and terms next
to each other ("a Black trans woman") become one placeholder.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Sequence, Tuple

# One token, made of letters no English word strings together, so that none of its word or
# character n-grams is a feature of any real word: its weight is learnt from its contexts alone.
PLACEHOLDER = "zzidzz"

# Each entry is one term as people write it. A space matches any run of spaces and hyphens, a
# hyphen an optional hyphen or space, an apostrophe an optional straight or curly one. A final
# plural "s" is always accepted (except for NO_PLURAL). Terms in CONTEXTUAL match only in context.
TERMS: Dict[str, Tuple[str, ...]] = {
    "sexual_orientation": (
        "gay", "lesbian", "bi", "bisexual", "bi-curious", "queer", "pansexual", "asexual", "homosexual",
        "heterosexual", "lesbiana", "lgbt", "lgbtq", "lgbtq+", "lgbtqia", "lgbtqia+", "lgbtq2s+", "two-spirit",
    ),
    "gender_identity": (
        "trans", "transgender", "transsexual", "transwoman", "transman", "nonbinary", "non-binary", "enby",
        "genderqueer", "genderfluid", "transgénero", "transgenero", "no binario", "no binaria", "no binarie",
        "gender-nonconforming", "agender", "intersex", "cis", "cisgender",
    ),
    "race_ethnicity": (
        "black", "african american", "african", "afro-caribbean", "caribbean", "afro-latina", "afro-latino",
        "latina", "latino", "latinx", "latine", "hispanic", "chicana", "chicano", "mexican", "mexican american",
        "puerto rican", "asian", "asian american", "east asian", "south asian", "southeast asian", "chinese",
        "korean", "japanese", "filipina", "filipino", "vietnamese", "indian", "pakistani", "white", "caucasian",
        "native american", "american indian", "alaska native", "native hawaiian", "pacific islander",
        "first nations", "aboriginal", "indigenous", "arab", "arab american", "middle eastern", "persian",
        "biracial", "multiracial", "mixed-race", "person of color", "people of color", "woman of color",
        "man of color", "poc", "bipoc", "roma", "romani", "afrodescendiente", "afrolatino", "indígena",
        "indigena", "gitano", "gitana", "cree", "ojibwe", "ojibwa", "anishinaabe", "métis", "metis", "inuit",
        "inuk", "navajo", "lakota", "cherokee", "haudenosaunee", "māori", "maori", "torres strait islander",
        "quechua", "aymara", "mapuche", "zapoteco", "zapoteca", "mixteco", "mixteca", "garifuna",
    ),
    "religion": (
        "jewish", "jew", "muslim", "christian", "catholic", "protestant", "evangelical", "baptist", "hindu",
        "sikh", "buddhist", "atheist", "agnostic", "mormon", "latter-day saint", "jehovah's witness", "quaker",
        "pagan", "wiccan", "amish", "musulmán", "musulman", "musulmana", "judío", "judio", "judía", "judia",
        "cristiano", "cristiana", "católico", "catolico", "católica", "catolica", "evangélico", "evangelico",
        "evangélica", "evangelica", "testigo de jehová", "testigo de jehova", "mormón", "ateo", "atea",
        "budista", "hindú",
    ),
    "disability": (
        "disabled", "handicapped", "person with a disability", "person with disabilities", "autistic",
        "on the autism spectrum", "on the spectrum", "neurodivergent", "deaf", "hard of hearing",
        "hearing impaired", "blind", "visually impaired", "in a wheelchair", "wheelchair user", "amputee",
        "paraplegic", "quadriplegic", "dyslexic", "autista", "sordo", "sorda", "ciego", "ciega",
        "silla de ruedas", "discapacitado", "discapacitada", "con discapacidad", "neurodivergente", "disléxico",
        "dislexico", "disléxica", "dislexica",
    ),
    "immigration_status": (
        "immigrant", "undocumented", "undocumented immigrant", "illegal immigrant", "migrant", "refugee",
        "asylum seeker", "asylee", "on a visa", "on a work visa", "on a student visa", "visa holder",
        "green card holder", "permanent resident", "daca recipient", "international student", "foreigner",
        "expat", "new to this country", "new to the country", "inmigrante", "migrante", "indocumentado",
        "indocumentada", "refugiado", "refugiada", "solicitante de asilo", "extranjero", "extranjera",
    ),
    "age": (
        "elderly", "older adult", "senior", "senior citizen", "pensioner", "retiree", "teenager", "teen",
        "teenage", "adolescent", "young adult", "middle-aged", "boomer", "baby boomer", "millennial", "gen z",
        "in my teens", "jubilado", "jubilada", "adolescente", "anciano", "anciana", "tercera edad",
    ),
}

# Identity terms in only some of their senses: matched after a form of "be" ("I'm old", "she is
# straight") or before a person noun ("an old man"), never elsewhere ("my old therapist").
CONTEXTUAL: Dict[str, Tuple[str, ...]] = {
    "sexual_orientation": ("straight",),
    "age": ("old", "older", "young", "younger"),
}

# No plural "s": it would make another word ("blinds", "whites") or none.
NO_PLURAL = frozenset({"bi", "blind", "cis", "trans", "white", "black", "old", "young", "straight", "deaf", "roma"})

# The words after a term that make it part of an idiom or another sense.
NOT_AFTER: Dict[str, str] = {
    "black": r"out|outs|death|eyes?|holes?|humou?r|market|magic|belts?|coffee|friday|mood|dogs?|ice|mail"
    r"|and\s+white|sheep|box|hat|widow|lists?|screen",
    "white": r"lies?|noise|boards?|wine|house|knuckl\w*|collar|flags?|papers?|space|bread|rice|matter|blood"
    r"|cells?|christmas|lists?|hat|elephant|water|sugar|coat",
    "blind": r"spots?|dates?|eyes?|side\w*|folds?|to|faith|alley|corners?|trust",
    "deaf": r"ears|to",
    "disabled": r"it|all|notifications?|comments|this|that|the\s+(?:app|setting|account|alarm|notifications?)",
    "straight": r"with|up|forward|away|to|from|answers?|out|talk|a'?s|after|into|home|back|ahead|line",
    "indian": r"food|restaurant|ocean",
    "chinese": r"food|restaurant|takeout|new\s+year",
    "mexican": r"food|restaurant",
    "japanese": r"food|restaurant",
    "senior": r"year|class|high|staff|therapists?|counsell?ors?|psychologists?|partners?|role|position|manager",
    "teen": r"years",
}
# The words before a term that make it part of an idiom or another sense (fixed strings).
NOT_BEFORE: Dict[str, Tuple[str, ...]] = {
    "white": ("black and ", "black & "),
    "black": ("pitch ",),
    "senior": ("high school ", "college "),
}

# Nouns for a person: after a term they are part of it ("a gay man", "a trans woman").
PERSON_NOUNS = (
    "man", "men", "woman", "women", "person", "persons", "people", "guy", "guys", "girl", "girls", "boy", "boys",
    "lady", "ladies", "folk", "folks", "individual", "individuals", "adult", "adults", "dude", "dudes", "femme",
)

# Words after which a contextual term is predicative: "I'm old", "my therapist is straight".
_BE = (
    r"i'?m|i\s+am|am|is|are|was|were|be|being|been|you'?re|he'?s|she'?s|they'?re|we'?re"
    r"|feel|feels|feeling|felt|getting|too|so|very|really|pretty|quite"
)

# Adult ages in digits and words (a child's age stays: see the module docstring).
_UNITS = r"one|two|three|four|five|six|seven|eight|nine"
_TENS = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_AGE = rf"(?:1[89]|[2-9]\d|1[01]\d|eighteen|nineteen|(?:{_TENS})(?:[\s-]?(?:{_UNITS}))?)"
_YEARS_OLD = r"(?:[\s-]*(?:years?|yrs?)[\s-]*old|[\s-]*(?:yo|y/o|y\.o\.))"
_DECADE = r"(?:(?:early|mid|late)[\s-]+)?(?:[2-9]0'?s|(?:twent|thirt|fort|fift|sixt|sevent|eight|ninet)ies)"
# A bare number is an age only where a clause can end: "I'm 70, and...", never "I'm 20 minutes late".
_CLAUSE_END = (
    r"(?=\s*(?:$|[,.;:!?)]|(?:and|but|so|now|too|yet|or|because|though|although|if|when|who|in|btw|by\s+the\s+way"
    r"|lol|already|myself|today|soon|this\s+year|next\s+(?:week|month|year))(?!\w)))"
)

_ARTICLE = r"(?:an?\s+)?"
_PERSON = r"(?:[\s-]+(?:" + "|".join(PERSON_NOUNS) + r"))?"
_START = r"(?<![\w'-])"
# Not inside a word, nor the first half of a compound ("bi-weekly"), except the compounds of a term.
_END = r"(?![\w+])(?!-(?!(?:friendly|affirming|inclusive|identified|identifying|competent|specific|led|owned)\b))"


def _term(term: str) -> str:
    """The regex for one term: its words, spacing and hyphenation, plural and idioms."""
    words = []
    for word in term.lower().split():
        parts = [re.escape(part).replace("'", "'?") for part in word.split("-")]
        words.append(r"[\s-]?".join(parts))
    pattern = r"[\s-]+".join(words)
    if term not in NO_PLURAL and term[-1].isalpha():
        pattern += "(?:es)?" if term.endswith("s") else "s?"
    pattern = "".join(rf"(?<!{re.escape(before)})" for before in NOT_BEFORE.get(term, ())) + pattern
    if term in NOT_AFTER:
        pattern += rf"(?!\s+(?:{NOT_AFTER[term]})(?!\w))"
    return pattern


def _alternation(terms: Iterable[str]) -> str:
    # Longest first, so that "asian american" is one term and not "asian" then "american".
    return "|".join(_term(t) for t in sorted(set(terms), key=lambda t: (-len(t), t)))


def all_terms() -> List[str]:
    """Every term, unconditional and contextual, in category order (ages in digits and words besides)."""
    return [t for group in (TERMS, CONTEXTUAL) for terms in group.values() for t in terms]


_FLAGS = re.IGNORECASE
_PLAIN = _alternation(t for terms in TERMS.values() for t in terms)
_CONTEXTUAL = _alternation(t for terms in CONTEXTUAL.values() for t in terms)
# Each pattern's `term` group is what gets replaced; context words around it stay in the text.
_PATTERNS = [
    re.compile(rf"{_START}(?P<term>{_ARTICLE}(?:{_PLAIN}){_PERSON}){_END}", _FLAGS),
    # after "be": "I'm old", "she is straight", "I'm 70", "I am seventy-two, and", "I'm 70 years old"
    re.compile(
        rf"{_START}(?:{_BE})\s+(?P<term>(?:{_CONTEXTUAL}){_PERSON}|{_AGE}{_YEARS_OLD}{_PERSON}|{_AGE}{_CLAUSE_END}){_END}",
        _FLAGS,
    ),
    # before a person noun: "an old man", "a straight woman", "young people"
    re.compile(rf"{_START}(?P<term>{_ARTICLE}(?:{_CONTEXTUAL})[\s-]+(?:{'|'.join(PERSON_NOUNS)})){_END}", _FLAGS),
    # an age said as one: "a 70 year old", "70-year-old woman", "aged 70", "in my late seventies"
    re.compile(rf"{_START}(?P<term>{_ARTICLE}{_AGE}{_YEARS_OLD}{_PERSON}){_END}", _FLAGS),
    re.compile(rf"{_START}(?:aged?|at\s+age)\s+(?P<term>{_AGE}){_END}", _FLAGS),
    re.compile(rf"{_START}(?P<term>in\s+(?:my|his|her|their)\s+{_DECADE}){_END}", _FLAGS),
]
_BETWEEN_TERMS = re.compile(r"[\s-]*")


def spans(text: str) -> List[Tuple[int, int]]:
    """The character spans of identity terms in `text`: sorted, disjoint, adjacent terms merged into one."""
    text = text.replace("\u2019", "'")  # a curly apostrophe, as a straight one (the offsets stay)
    found = sorted(m.span("term") for pattern in _PATTERNS for m in pattern.finditer(text))
    merged: List[Tuple[int, int]] = []
    for start, end in found:  # by start, then end: a longer span at the same start extends the merged one
        if merged and (start <= merged[-1][1] or _BETWEEN_TERMS.fullmatch(text, merged[-1][1], start)):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def replace(text: str, found: Sequence[Tuple[int, int]] | None = None) -> str:
    """`text` with each identity term (or run of adjacent terms) replaced by PLACEHOLDER.

    `found` is `spans(text)`, for a caller that has it already.
    """
    pieces, last = [], 0
    for start, end in spans(text) if found is None else found:
        pieces += [text[last:start], PLACEHOLDER]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def replace_tokens(
    text: str, tokens: Sequence[Tuple[int, int, str]], found: Sequence[Tuple[int, int]] | None = None
) -> List[str]:
    """The strings of `text`'s tokens (start, end, string), each identity span's tokens replaced by one PLACEHOLDER.

    A token that overlaps a span at all belongs to it: the tokenizer and the patterns may
    disagree about where a word ends ("gay-friendly"), never about whether it is a term.
    """
    found = spans(text) if found is None else found
    out: List[str] = []
    i, last = 0, -1
    for start, end, string in tokens:
        while i < len(found) and found[i][1] <= start:
            i += 1
        if i < len(found) and found[i][0] < end:
            if last != i:
                out.append(PLACEHOLDER)
                last = i
        else:
            out.append(string)
    return out
