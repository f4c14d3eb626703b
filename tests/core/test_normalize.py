"""The normaliser: what a member types becomes the words the matcher compares."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core import Engine, normalize
from bot.core.normalize import clean, has_words, stem


def test_clean_folds_unicode_and_case() -> None:
    assert clean("ＳＡＬＡＲＹ") == "salary"
    assert clean("Straße") == "strasse"


def test_clean_drops_zero_width_and_control_characters() -> None:
    assert clean("sal\u200bary\u2060 of\u00ad coders") == "salary of coders"
    assert clean("line\none\ttab\x00") == "line one tab"


@pytest.mark.parametrize(
    "text",
    [
        "<@123456789012345678> salary",
        "<@!123456789012345678> salary",
        "<@&111111111111111111> salary",
        "<#222222222222222222> salary",
        "@everyone salary",
        "@here salary",
        "<:pog:333333333333333333> salary",
        "<a:dance:333333333333333333> salary",
        "**salary**",
        "`salary`",
        "~~salary~~ ||salary||",
        "> salary",
        "https://example.com/x salary",
    ],
)
def test_clean_strips_discord_syntax(text: str) -> None:
    assert set(clean(text).split()) == {"salary"}


def test_has_words_rejects_emoji_and_punctuation_only() -> None:
    assert not has_words("😀😀😀")
    assert not has_words("??? !!!")
    assert not has_words("<@123456789012345678>")
    assert has_words("cpc?")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("coders", "coder"),
        ("salaries", "salary"),
        ("classes", "class"),
        ("hcpcs", "hcpcs"),
        ("status", "status"),
        ("ccs", "ccs"),
    ],
)
def test_stem_folds_plurals_only(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("what do coders earn", "coder wages"),  # synonyms
        ("medcal codr salery", "medical coder salary"),  # spelling correction
        ("wat r medical codes used 4", "what are medical codes used for"),  # shorthand
        ("doctor's office pay", "physicians office salary"),  # phrases
        ("ICD-10-CM", "icd10"),
        ("icd 10", "ICD10"),
        ("CPC's pay", "cpc salary"),
    ],
)
def test_equivalent_phrasings_normalise_alike(engine: Engine, a: str, b: str) -> None:
    tokens = engine.kb.normalizer.tokens
    assert set(tokens(a)) == set(tokens(b))


def test_make_means_pay_only_in_a_money_context(engine: Engine) -> None:
    tokens = engine.kb.normalizer.tokens
    assert "salary" in tokens("how much do coders make")
    assert "salary" not in tokens("what makes a good coder")


def test_step_numbers_need_the_word_step(engine: Engine) -> None:
    tokens = engine.kb.normalizer.tokens
    assert tokens("step 3") == tokens("third step") == tokens("step three") == ["step3"]
    assert tokens("the 5 steps") == tokens("five steps") != tokens("steps")
    assert not any(t.startswith("step") for t in tokens("explain it like i'm five"))


def test_unknown_words_are_not_forced_onto_the_vocabulary(engine: Engine) -> None:
    tokens = engine.kb.normalizer.tokens
    assert "dietitian" not in engine.kb.normalizer.vocabulary
    assert "dietitian" in tokens("dietitians")  # kept, so it counts against a match


def test_spelling_correction_is_bounded_for_long_noise(engine: Engine) -> None:
    noise = " ".join(f"zzqx{i}qq" for i in range(2000))
    assert len(engine.kb.normalizer.tokens(noise)) <= 2000


def test_remembered_words_give_the_same_tokens_and_stay_bounded(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words that never need correction are remembered; that must not change any result, and is capped."""

    fresh = Engine.load().kb.normalizer
    questions = [
        "how much do medical coders make in 2024",
        "wat r the steps 2 become a codr",  # shorthand, a typo
        "cpc vs ccs 12345 67890 salary salary",
        " ".join(f"word{n}" for n in range(40)),  # more unknown words than the correction bound
    ]
    cold = [fresh.tokens(q) for q in questions]
    assert [fresh.tokens(q) for q in questions] == cold  # the same once the words are remembered
    assert [engine.kb.normalizer.tokens(q) for q in questions] == cold
    monkeypatch.setattr(normalize, "STEADY_WORDS", len(fresh._steady) + 3)
    fresh.tokens(" ".join(str(n) for n in range(100, 200)))
    assert len(fresh._steady) == normalize.STEADY_WORDS


def test_every_phrase_of_the_lexicon_applies_even_a_single_word(engine: Engine) -> None:
    """A one-word entry under `phrases` ("ceu: continuingeducation") used to be skipped silently."""
    normalizer = engine.kb.normalizer
    for words, replacement in normalizer.phrases.items():
        text = " ".join(words)
        assert normalizer.tokens(text, correct=False) == [
            normalizer.synonyms.get(t, t)
            for t in replacement.split()
            if normalizer.synonyms.get(t, t) not in normalizer.stopwords
        ], text


def test_verb_forms_fold_only_onto_words_the_knowledge_base_uses(engine: Engine) -> None:
    normalizer = engine.kb.normalizer
    vocabulary = normalizer.vocabulary
    assert "join" in vocabulary and "use" in vocabulary  # the article's own words
    assert normalizer.tokens("joining") == ["join"]
    assert "use" in normalizer.tokens("which ones am I using")
    assert "code" in normalizer.tokens("coding")  # a word the knowledge base has stays itself
    assert normalizer.tokens("narrowing") == ["narrowing"]  # "narrow" is not the article's: no new token
    assert normalizer.tokens("nursing") == normalizer.tokens("nursing", correct=False)


def test_exp_is_texting_shorthand_for_experience(engine: Engine) -> None:
    assert engine.kb.normalizer.tokens("how do I get exp") == engine.kb.normalizer.tokens("how do I get experience")


@pytest.mark.parametrize(
    ("word", "not_into"),
    [("nice", "niche"), ("master", "matter"), ("staying", "studying"), ("physical", "physician")],
)
def test_spelling_correction_never_rewrites_a_real_english_word(engine: Engine, word: str, not_into: str) -> None:
    """Each of these was "corrected" into a knowledge-base word and so answered as that topic."""
    normalizer = engine.kb.normalizer
    assert word not in normalizer.vocabulary  # otherwise the test proves nothing
    assert word in normalize.english_words()
    tokens = normalizer.tokens(word)
    assert not_into not in " ".join(tokens) and tokens == normalizer.tokens(word, correct=False)


def test_misspellings_that_are_not_words_are_still_corrected(engine: Engine) -> None:
    tokens = engine.kb.normalizer.tokens
    assert tokens("salery") == tokens("salary")
    assert tokens("certifcation") == tokens("certification")
    # A misspelling that is itself a word is the lexicon's to map, not the corrector's.
    assert tokens("is collage a must") == tokens("is college a must")
    assert tokens("medial codding coarse") == tokens("medical coding course")
    assert tokens("a decree, brake in, lean") == tokens("a degree, break in, learn")
    assert tokens("diagnoses, diagnostic, practise") == tokens("diagnosis, diagnosis, practice")
    # Typos that are words no one would mean here: the lexicon maps them, the corrector may not.
    assert tokens("online curses, ciders' annul pay, top stares") == tokens(
        "online courses, coders' annual pay, top states"
    )
    assert "degree" in tokens("do i need a masters")


@pytest.mark.parametrize(
    ("word", "form"),
    [("curricula", "curriculum"), ("learnt", "learn"), ("recommend", "recommended")],
)
def test_a_real_word_is_still_read_as_another_form_of_itself(engine: Engine, word: str, form: str) -> None:
    """Only rewrites into a different word are refused: "diagnoses codes" still meets the article's "diagnosis"."""
    normalizer = engine.kb.normalizer
    assert word in normalize.english_words() and form in normalizer.vocabulary
    assert normalizer.tokens(word) == normalizer.tokens(form)


def test_the_word_list_is_loaded_once_and_holds_only_lowercase_words() -> None:
    words = normalize.english_words()
    assert normalize.english_words() is words
    assert len(words) > 50_000
    assert all(w.isalpha() and w.islower() and len(w) >= normalize.MIN_CORRECT_LEN for w in words)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("what are the tasks and responsibilities of a medical coder", "what are the duties of a medical coder"),
        ("how to become a medical coding specialist", "how to become a medical coder"),
        ("do you have to go to school for coding", "do you need education for coding"),
    ],
)
def test_everyday_names_for_the_article_s_topics_normalise_alike(engine: Engine, a: str, b: str) -> None:
    tokens = engine.kb.normalizer.tokens
    assert set(tokens(a)) - {"require"} == set(tokens(b)) - {"require"}
    # The credential keeps its own name; the function of a thing is no coder's duty; going to school somewhere
    # is about schools.
    assert "ccs" in tokens("certified coding specialist salary")
    assert "duty" not in tokens("what is the function of icd 10")
    assert "school" in tokens("where can i go to school for coding")


def test_rapidfuzz_is_imported_by_the_first_word_that_needs_correcting_not_at_start_up() -> None:
    """A start-up (the bot's login, a one-off `ask`) whose words are all known never pays rapidfuzz's import;
    the first misspelt word does, and is still corrected."""
    code = (
        "import sys\n"
        "from bot.core import Engine\n"
        "engine = Engine.load(semantic=False)\n"
        "engine.ask('how much does a medical coder earn')\n"
        "print('rapidfuzz' in sys.modules)\n"
        "print(' '.join(engine.kb.normalizer.tokens('certifcation')), 'rapidfuzz' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=False)
    assert result.stdout.split("\n")[:2] == ["False", "certification True"], result.stderr
