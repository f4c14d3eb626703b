"""Conversation: small talk, several questions in one message, billing wording, follow-ups, chatty messages,
and the wrong confident answers of issue 12, each fixed at its cause (none of these questions is a phrasing)."""

from __future__ import annotations

import re

import pytest

from bot.core import Engine, ReplyKind
from bot.core.context import Context
from bot.core.conversation import Conversations
from bot.core.engine import ALL_IT_SAYS, MAX_ANSWER_CHARS
from bot.core.segment import focus_candidates


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello there! 👋", "greeting"),
        ("good morning everyone", "greeting"),
        ("thanks!", "thanks"),
        ("thank you so much, that helped", "thanks"),
        ("ok bye", "goodbye"),
        ("good night", "goodbye"),
        ("are you a bot?", "about"),
        ("what can you do", "about"),
    ],
)
def test_small_talk_is_recognised(engine: Engine, text: str, kind: str) -> None:
    assert engine.kb.small_talk.classify(text) == kind


@pytest.mark.parametrize(
    "text",
    ["hi! what does a CPC earn?", "thanks, and what about the CCS?", "help me find an internship", "hello world"],
)
def test_a_question_is_never_small_talk(engine: Engine, text: str) -> None:
    assert engine.kb.small_talk.classify(text) is None


@pytest.mark.parametrize("text", ["hi", "thanks!", "bye 👋", "hey there"])
def test_small_talk_gets_a_friendly_reply_not_i_dont_know(engine: Engine, text: str) -> None:
    reply = engine.ask(text)
    assert reply.kind is ReplyKind.SMALL_TALK and not reply.answered
    assert "don't know" not in reply.text and engine.kb.can_answer in reply.text
    assert reply.entry_id is None


def test_a_greeting_before_a_question_still_gets_the_answer(engine: Engine) -> None:
    reply = engine.ask("hey! what's the median salary?")
    assert reply.answered and "$44,090" in reply.text


def test_sentences_split_at_punctuation_and_emoji(engine: Engine) -> None:
    parts = engine.segmenter.sentences("moved for my husband's job 😅 which states pay coders the most? might move lol")
    assert [p.text for p in parts] == [
        "moved for my husband's job",
        "which states pay coders the most?",
        "might move lol",
    ]
    assert [p.question for p in parts] == [False, True, False]


def test_a_statement_about_oneself_after_a_comma_is_a_sentence_of_its_own(engine: Engine) -> None:
    """Read whole, "list the steps, I'm a vet tech so keep it simple" matched nothing: the member's own job
    drowned the request, which a sentence of its own answers."""
    parts = engine.segmenter.sentences("list the steps for me, I'm a vet tech so keep it simple")
    assert [p.text for p in parts] == ["list the steps for me", "I'm a vet tech so keep it simple"]
    reply = engine.ask("explain the five steps please, im a retail manager so keep it simple")
    assert reply.answered and reply.entry_id == "steps-overview"


def test_what_a_member_says_of_themselves_is_a_statement_even_before_the_question_mark(engine: Engine) -> None:
    """Found in review: split off, "I'm in Ohio?" was a question of its own (the top states); kept in, "I'm a
    nurse?" made "which certification should I get" the other occupations' gap."""
    parts = engine.segmenter.sentences("how long is the CCS exam, I'm in Ohio?")
    assert [(p.text, p.question) for p in parts] == [("how long is the CCS exam", True), ("I'm in Ohio?", False)]
    reply = engine.ask("which credential should i go for, im a pharmacy tech?")
    assert reply.answered and reply.entry_id == "certifications-cpc-ccs"


@pytest.mark.parametrize("text", ["can I become a coder, I have a GED", "ok, I've read it all"])
def test_other_clauses_after_a_comma_stay_in_their_sentence(engine: Engine, text: str) -> None:
    """Found in review: "great, I've got what I need" split in two was answered with the job outlook."""
    assert len(engine.segmenter.sentences(text)) == 1


def test_joined_questions_are_cut_apart(engine: Engine) -> None:
    questions, sentences = engine.segmenter.questions, engine.segmenter.sentences
    assert questions(sentences("how long does the CPC exam take and what does CPC stand for?")) == [
        "how long does the CPC exam take",
        "what does CPC stand for?",
    ]
    assert questions(sentences("what are the steps and requirements?")) == ["what are the steps and requirements?"]


@pytest.mark.parametrize(
    "message",
    [
        "tell me about the CPC and CCS credentials. and which one pays more?",
        "what do the CPC and CCS stand for? and which one earns more",
    ],
)
def test_a_part_that_points_back_is_read_with_the_part_before(engine: Engine, message: str) -> None:
    """ "and which one pays more" alone read as the pay factors, sure of itself; which one is the part before's.
    Each entry is shown once, though both parts' answers hold the salary table."""
    shown = [block.entry_id for block in engine.ask(message).blocks]
    assert "salary-by-position" in shown and "salary-factors" not in shown
    assert len(shown) == len(set(shown))


def test_a_choosing_part_that_only_repeats_the_answer_before_is_what_the_article_lacks(engine: Engine) -> None:
    """Found in review: read with the part before, "and which one takes longest" gave the steps again and its
    note that the article does not say was lost."""
    reply = engine.ask("what are the steps to become a coder? and which one takes longest")
    assert [block.entry_id for block in reply.blocks] == ["steps-overview"]
    assert reply.missing


def test_chatter_in_front_of_a_question_is_left_out_of_what_the_models_read(engine: Engine) -> None:
    strip = engine.segmenter.without_lead_ins
    assert strip("ok nvm, what do hospitals pay coders") == "what do hospitals pay coders"
    assert strip("so - how long is the course?") == "how long is the course?"
    assert strip("ok, ") == "ok, "  # nothing would be left: the message stays whole
    assert strip("okay then") == "then"  # the last word is never taken for chatter in front
    # ...and such a sentence is a question, so it is answered as one.
    assert [s.question for s in engine.segmenter.sentences("ok nvm, what do hospitals pay coders")] == [True]


def test_focus_candidates_prefer_question_sentences(engine: Engine) -> None:
    text = "I got my GED last year. My aunt says coding is great. What schooling do I need?"
    candidates = focus_candidates(engine.segmenter.sentences(text))
    assert candidates[0] == "What schooling do I need?"
    assert "My aunt says coding is great. What schooling do I need?" in candidates
    assert "I got my GED last year." not in candidates


def test_a_question_buried_in_a_chatty_message_is_answered(engine: Engine) -> None:
    reply = engine.ask(
        "ok so long story, I dropped out at 17 and finally got my GED last spring 🎉 my cousin is a nurse and "
        "keeps saying I should look into medical coding since I like computers. honestly no idea where to start "
        "lol. which states pay coders the most? we might move anyway"
    )
    assert reply.answered and reply.entry_id == "salary-top-states"


def test_two_questions_get_both_answers(engine: Engine) -> None:
    reply = engine.ask("what is the median salary for coders? and which states pay the most?")
    assert reply.answered
    assert "$44,090" in reply.text and "Connecticut" in reply.text and "Massachusetts" in reply.text
    assert len(reply.text) <= MAX_ANSWER_CHARS
    assert [b.entry_id for b in reply.blocks] == ["salary-median", "salary-top-states"]


def test_a_two_part_question_says_which_part_the_article_lacks(engine: Engine) -> None:
    reply = engine.ask("what does ahima stand for and how much does the ccs exam cost?")
    assert reply.answered and "American Health Information Management Association" in reply.text
    assert re.search(r"doesn't cover this part of your question: “how much does the ccs exam cost", reply.text)


def test_billing_and_coding_gets_the_coding_answer_and_says_billing_is_not_covered(engine: Engine) -> None:
    reply = engine.ask("what is the median pay in medical billing and coding?")
    assert reply.answered and "$44,090" in reply.text
    assert "does not cover medical billing" in reply.text
    plain = engine.ask("what is the median pay for coders")
    assert "billing" not in plain.text.split("Source:")[-1]  # the note is only for billing wording


def test_a_billing_only_question_is_still_an_honest_fallback(engine: Engine) -> None:
    assert not engine.ask("what's the difference between medical billing and coding").answered


def test_a_follow_up_is_read_against_the_previous_question(engine: Engine) -> None:
    first = engine.ask("what does a CPC earn?")
    assert first.entry_id == "salary-by-position"
    ccs = engine.ask("and the CCS?", previous=first.context)
    assert ccs.answered and ccs.entry_id == "salary-by-position"  # the CCS's pay, not what the CCS is
    assert engine.ask("and the CCS?").entry_id != "salary-by-position"  # alone it is another question
    hospitals = engine.ask("what about hospitals?", previous=ccs.context)
    assert hospitals.entry_id == "salary-by-sector"
    why = engine.ask("why?", previous=engine.ask("what is medical coding?").context)
    assert why.answered and why.entry_id == "coding-purpose"  # why it matters: another entry


def test_a_full_question_ignores_the_previous_one(engine: Engine) -> None:
    first = engine.ask("what does a CPC earn?")
    assert engine.ask("what are the five steps?", previous=first.context).entry_id == "steps-overview"


def test_conversations_expire_and_stay_bounded() -> None:
    now = [0.0]
    conversations = Conversations(ttl=600.0, capacity=2, clock=lambda: now[0])
    cpc = Context(question="cpc salary", topic="cpc salary")
    conversations.remember(1, cpc)
    assert conversations.previous(1) == cpc
    now[0] = 601.0
    assert conversations.previous(1) is None and len(conversations) == 0
    steps = Context(question="steps", topic="step")
    for member in (1, 2, 3):
        conversations.remember(member, steps)
    assert conversations.previous(1) is None and conversations.previous(3) == steps
    conversations.forget(3)
    assert conversations.previous(3) is None
    conversations.remember(4, Context())  # an empty context is nothing to remember
    assert conversations.previous(4) is None


def test_forgetting_a_member_forgets_their_dm_and_every_channel() -> None:
    conversations = Conversations()
    for key in (7, (7, 100), (7, 200), 8, (8, 100)):
        conversations.remember(key, Context(question="cpc salary", topic="cpc salary"))
    conversations.forget_member(7)
    assert [conversations.previous(k) is None for k in (7, (7, 100), (7, 200), 8, (8, 100))] == [
        True,
        True,
        True,
        False,
        False,
    ]


# The wrong confident answers issue 12 lists, reworded as members ask them. None is a phrasing: each is
# fixed where it went wrong (other occupations, schools, credential variants, comparisons, counts).
@pytest.mark.parametrize(
    "question",
    [
        "hey there",  # a greeting, not an entry
        "what does a pharmacy tech make an hour",  # another occupation's hourly pay
        "how much do registered nurses earn per hour",
        "best medical coding school in texas",  # a school ranking, not the top paying states
        "what is the CPC-A credential",  # a credential the article never names
        "is the CRC certification worth it",
        "how do I become a coding auditor",  # a different job, not the five steps
        "how many medical coders are there in the united states",  # a count the article lacks
    ],
)
def test_former_wrong_answers_now_fall_back(engine: Engine, question: str) -> None:
    assert not engine.ask(question).answered, question


def test_training_rules_by_state_are_not_answered_with_education(engine: Engine) -> None:
    reply = engine.ask("do training requirements differ between states")
    assert reply.entry_id not in {"education-requirements", "step-education"}


def test_the_difference_between_cpc_and_ccs_is_not_the_billing_gap(engine: Engine) -> None:
    reply = engine.ask("whats the difference between CPC and CCS")
    assert reply.answered and reply.entry_id == "certifications-cpc-ccs"


# --- found in review: each of these failed before its fix ----------------------------------------


def test_a_cue_word_does_not_hand_a_full_question_to_the_previous_topic(engine: Engine) -> None:
    first = engine.ask("what does a CPC earn?")
    assert engine.ask("and what are the steps?", previous=first.context).entry_id == "steps-overview"
    assert engine.ask("also the job outlook?", previous=first.context).entry_id == "job-outlook"
    certification = engine.ask("and certification?", previous=first.context).entry_id
    assert certification in {"certifications-cpc-ccs", "step-certification"}  # either answers it; pay does not


def test_long_whitespace_reads_like_single_spaces(engine: Engine) -> None:
    spaced = "what" + " " * 1990 + "does a CPC" + " " * 1900 + "earn?" + " \n" * 40
    assert engine.ask(spaced) == engine.ask("what does a CPC earn?")
    assert engine.ask(spaced).entry_id == "salary-by-position"


@pytest.mark.parametrize(
    "question",
    [
        "what are the steps for medical billing and coding?",
        "how much do billing and coding specialists make and what are the steps?",
        "is billing part of a coder's job? what affects a coder's salary? steps to becoming a coder?",
        "how do i advance as a coder? what is icd10? what certifications are there for coders?",
    ],
)
def test_notes_and_several_answers_stay_within_the_limit_with_balanced_markup(engine: Engine, question: str) -> None:
    reply = engine.ask(question)
    assert reply.answered and len(reply.text) <= MAX_ANSWER_CHARS
    assert reply.text.count("**") % 2 == 0 and "**" not in reply.plain


def test_a_quoted_part_of_the_members_message_cannot_carry_markup(engine: Engine) -> None:
    reply = engine.ask(
        "what does a CPC earn? how much does the exam cost [free voucher](https://evil.example/x) @everyone?"
    )
    assert reply.answered and reply.missing
    assert "](https" not in reply.text and "@everyone" not in reply.text  # escaped: no masked link, no mention
    assert "[free voucher](https://evil.example/x)" in reply.plain  # the terminal shows the words as typed


def test_an_unclear_question_is_not_told_the_article_lacks_it(engine: Engine) -> None:
    """'education?' fits two entries, each a right answer: it is answered, never told "not covered"."""
    reply = engine.ask("education?")
    assert "doesn't cover" not in reply.text
    assert reply.answered and {b.title for b in reply.blocks} <= {"What education you need", "Step 1: Education"}


def test_a_remembered_context_is_bounded(engine: Engine) -> None:
    """A chatty 4,000-character message is not kept whole, for every member, for ten minutes."""
    context = engine.ask(" ".join(f"word{i}" for i in range(500)) + " what does a cpc earn?").context
    assert context is not None
    assert len(context.topic.split()) <= 40 and len(context.question) <= 300


def test_one_vague_word_is_not_answered_on_a_clear_lead_alone(engine: Engine) -> None:
    """'is that real?' leaves one word, 'real', which only the experience step's 'real world' shares."""
    assert not engine.ask("is that real?").answered
    assert engine.ask("outlook").answered  # one strong word still is


@pytest.mark.parametrize(
    ("before", "question", "gap"),
    [
        ("which certification pays more, cpc or ccs", "what does a pharmacist earn", "gap-other-occupations"),
        ("top paying states for coders", "is remote work possible for coders", "gap-remote-work"),
    ],
)
def test_a_question_the_article_lacks_is_not_read_as_a_follow_up(
    engine: Engine, before: str, question: str, gap: str
) -> None:
    """Found by a newcomer in `chat`: the previous topic must not answer a question that has its own reply."""
    previous = engine.ask(before)
    assert previous.answered
    alone = engine.ask(question)
    assert (alone.kind, alone.entry_id) == (ReplyKind.FALLBACK, gap)
    after = engine.ask(question, previous.context)
    assert (after.kind, after.entry_id) == (ReplyKind.FALLBACK, gap)


@pytest.mark.parametrize("text", ["why?", "and why?", "where", "Why??", "when?", "what do you think?"])
def test_a_bare_question_word_alone_names_no_topic(engine: Engine, text: str) -> None:
    """Every entry phrased "why ..." matched "why?" alone, and one of them was answered as if asked."""
    reply = engine.ask(text)
    assert reply.kind is ReplyKind.FALLBACK and reply.entry_id is None
    assert "needs a topic" in reply.text


def test_a_trailing_why_does_not_become_the_question_of_a_chatty_message(engine: Engine) -> None:
    reply = engine.ask("My aunt runs a clinic and keeps saying coders are scarce 🏥 will coders be needed? and why?")
    assert reply.entry_id != "coding-purpose"  # what "why" alone matched


# --- found by a newcomer trying the terminal chat: each failed before its fix ---------------------------


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        ("do I need to get certified?", "why?"),  # the entry answered already says all the article says
        ("what are the steps?", "why?"),
        ("what does a medical coder actually do", "is that all they do?"),
        ("do coders need a state license?", "how would i check what mine requires?"),  # the answer's own words
        ("what education do coders need?", "is there another route?"),  # another way: the article gives one answer
    ],
)
def test_a_question_past_the_answer_just_given_gets_that_answer_again_said_to_be_all(
    engine: Engine, previous: str, question: str
) -> None:
    """What the article says on it is all there is: shown again (the reason asked for is in it, when the article
    gives one), and said to be all, never another entry's answer or a bare "I don't know"."""
    first = engine.ask(previous)
    reply = engine.ask(question, previous=first.context)
    assert reply.answered and reply.entry_id == first.entry_id
    assert reply.text.startswith(first.text.split("\n")[0]) and reply.text.endswith(ALL_IT_SAYS)


def test_a_bare_why_after_asking_about_a_ranking_asks_its_cause(engine: Engine) -> None:
    """ "so the CCS earns more than the CPC?" then "why's that then": the cause of the ranking, which no answer has."""
    first = engine.ask("so the CCS earns more than the CPC?")
    reply = engine.ask("why's that then", previous=first.context)
    assert not reply.answered
    assert reply.text.startswith("The article says nothing more on that")


@pytest.mark.parametrize(
    ("previous", "question", "entry_id", "fact"),
    [
        # Things an answer named side by side are a list to point into, in the answer's order...
        ("who are the groups behind coding certifications", "what about the 2nd one", "ahima", "Health Information"),
        # ...or in the member's own order, when they named them.
        ("tell me about CPT and ICD-10", "and the first one?", "cpt", "Current Procedural Terminology"),
    ],
)
def test_an_ordinal_picks_among_the_things_just_named(
    engine: Engine, previous: str, question: str, entry_id: str, fact: str
) -> None:
    first = engine.ask(previous)
    assert first.context is not None and first.context.items
    assert all(item.entity is not None for item in first.context.items)
    reply = engine.ask(question, previous=first.context)
    assert reply.answered and reply.entry_id == entry_id
    assert fact in reply.plain


@pytest.mark.parametrize(
    ("previous", "question", "not_entry"),
    [
        # Things merely named are no sequence: "first" or "next" without a position said in full picks none.
        ("which certifications are there", "what should i do first", "certifications-cpc-ccs"),
        ("which orgs hand out coder credentials", "what should I do after that", "aapc"),
    ],
)
def test_things_named_side_by_side_are_picked_only_by_a_position_said_in_full(
    engine: Engine, previous: str, question: str, not_entry: str
) -> None:
    first = engine.ask(previous)
    reply = engine.ask(question, previous=first.context)
    assert reply.entry_id != not_entry
    assert not any("item" in used for used in reply.used)


def test_a_picked_thing_is_what_it_stands_for_next(engine: Engine) -> None:
    first = engine.ask("which certifications are there")
    picked = engine.ask("tell me about the second one", previous=first.context)
    reply = engine.ask("how much does it pay", previous=picked.context)
    assert reply.answered and "60,080" in reply.plain


@pytest.mark.parametrize("question", ["which is more popular", "which one is better"])
def test_named_credentials_are_ranked_by_salary_only_when_pay_is_asked(engine: Engine, question: str) -> None:
    first = engine.ask("which certifications are there")
    reply = engine.ask(question, previous=first.context)
    assert "60,080" not in reply.plain


def test_things_the_member_named_make_the_list_before_a_kind_word(engine: Engine) -> None:
    """ "who" is a word for organisations, but the member named the CPC and the CCS."""
    first = engine.ask("who offers the CPC and CCS")
    reply = engine.ask("which pays better", previous=first.context)
    assert reply.answered and reply.entry_id == "salary-by-position"
    assert "60,080" in reply.plain and "54,590" in reply.plain


def test_a_kind_without_figures_is_another_question_even_when_compared(engine: Engine) -> None:
    """The article gives no state's pay: "do any states pay more than that" is the top states' answer."""
    first = engine.ask("salaries by position")
    reply = engine.ask("do any states pay more than that", previous=first.context)
    assert reply.entry_id == "salary-top-states"


def test_credentials_named_in_an_answer_compare_by_their_salaries(engine: Engine) -> None:
    """The certification answer names the CPC and the CCS; their figures are the salary table's."""
    first = engine.ask("which coding credentials are the best known")
    reply = engine.ask("which of these earns less", previous=first.context)
    assert reply.answered and reply.entry_id == "salary-by-position"
    assert reply.plain.index("54,590") < reply.plain.index("60,080")  # the lowest first
    assert "41,000" not in reply.plain  # a position the answer did not name


def test_figures_of_another_kind_compared_with_the_one_just_shown(engine: Engine) -> None:
    """ "does any sector beat that?" after the CCS's salary: the CCS figure beside the sectors', ranked."""
    first = engine.ask("how much does a CCS earn")
    reply = engine.ask("does any employer type beat that", previous=first.context)
    assert reply.answered
    assert "60,080" in reply.plain and "46,380" in reply.plain
    assert reply.plain.index("60,080") < reply.plain.index("46,380")


def test_gibberish_after_a_question_does_not_repeat_its_answer(engine: Engine) -> None:
    reply = engine.ask("asdfgh", previous=engine.ask("what does AHIMA stand for").context)
    assert not reply.answered


def test_a_new_topic_word_is_not_read_as_a_follow_up_of_another_topic(engine: Engine) -> None:
    reply = engine.ask("schools", previous=engine.ask("do coders need a license").context)
    assert reply.entry_id != "licensing"


def test_a_message_pointing_back_is_read_against_the_previous_question(engine: Engine) -> None:
    """ "Which one pays more?" has an answer of its own (what affects pay), but "one" is the CPC or the CCS."""
    assert engine.ask("which one pays more?").entry_id != "salary-by-position"
    first = engine.ask("what's the difference between CPC and CCS")
    reply = engine.ask("which one pays more?", previous=first.context)
    assert reply.answered and reply.entry_id == "salary-by-position"


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, that's really helpful",
        "thank you that was super helpful!",
        "new here, just joined!",  # was answered with the networking step ("join")
        "hey everyone, just joined the server",
        "great, just what i was looking for. bye!",  # "looking for" was read as a question about the job search
    ],
)
def test_thanks_with_praise_and_introductions_are_small_talk(engine: Engine, text: str) -> None:
    reply = engine.ask(text)
    assert reply.kind is ReplyKind.SMALL_TALK and not reply.answered


def test_a_greeting_that_opens_an_introduction_is_greeted_not_refused(engine: Engine) -> None:
    reply = engine.ask("Hi, I'm a nurse's aide (CNA) and I'm tired of the physical work")
    assert reply.kind is ReplyKind.SMALL_TALK
    assert "I don't know that" not in reply.text and engine.kb.can_answer in reply.text


def test_an_introduction_with_a_question_still_gets_the_answer(engine: Engine) -> None:
    reply = engine.ask("new here! what are the steps?")
    assert reply.answered and reply.entry_id == "steps-overview"


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        ("what does a medical coder earn?", "do they need certification?"),
        ("what does a medical coder earn?", "how do they get certified?"),
        ("what are the steps?", "is it a good career?"),
        ("what education do I need?", "what skills do they need?"),
        ("what are the top paying states?", "how much do they make?"),
    ],
)
def test_a_full_question_with_it_or_they_keeps_its_own_answer(engine: Engine, previous: str, question: str) -> None:
    """Found in review: reading every short "it"/"they" question as a follow-up answered the previous topic."""
    own = engine.ask(question)
    assert own.answered
    assert engine.ask(question, previous=engine.ask(previous).context).entry_id == own.entry_id


@pytest.mark.parametrize(
    "text",
    ["hi, how do i get experience without a job", "hello, does the cpc expire", "hi cpc exam"],
)
def test_a_greeting_before_a_question_is_not_taken_for_an_introduction(engine: Engine, text: str) -> None:
    assert engine.ask(text).kind is not ReplyKind.SMALL_TALK


@pytest.mark.parametrize("text", ["is it helpful?", "is that great?"])
def test_a_yes_no_question_is_not_thanks(engine: Engine, text: str) -> None:
    assert engine.kb.small_talk.classify(text) is None


@pytest.mark.parametrize("text", ["whats good yall", "evening all, how is everyone doing", "what is good people", "gm"])
def test_everyday_greetings_are_greeted(engine: Engine, text: str) -> None:
    """From issue 23: these were refused or answered with the skills entry."""
    reply = engine.ask(text)
    assert reply.kind is ReplyKind.SMALL_TALK and not reply.entry_id


def test_small_talk_no_phrase_covers_is_recognised_by_its_examples(engine: Engine) -> None:
    """An example message no phrase covers ("I'm logging off now, see you") is small talk through the encoder,
    and only with it: without the models it is a fallback."""
    talk = engine.kb.small_talk
    uncovered = [e for _, e in talk.examples() if talk.classify(e) is None]
    assert uncovered
    assert all(engine.ask(e).kind is ReplyKind.SMALL_TALK for e in uncovered)
    lexical = Engine(engine.kb)
    assert lexical.ask("lol").kind is ReplyKind.SMALL_TALK  # a phrase needs no model
    assert any(lexical.ask(e).kind is not ReplyKind.SMALL_TALK for e in uncovered)
    assert engine.ask("how much does a CCS earn?").kind is not ReplyKind.SMALL_TALK


# --- follow-ups read more carefully (issue 24): each failed before its change ---------------------------


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        ("how much do CPC and CCS coders make?", "how come the ccs is paid more?"),
        ("which pays more, cpc or ccs?", "why is ccs higher?"),
        ("where do coders earn the most?", "why would those states pay better?"),
        ("what does a CPC make?", "why is the ccs higher?"),  # alone, two answers at once: no settled reading
        ("how much do medical coders make?", "why?"),  # why a figure is what it is
    ],
)
def test_the_cause_of_a_ranking_just_shown_is_not_in_the_article(engine: Engine, previous: str, question: str) -> None:
    first = engine.ask(previous)
    reply = engine.ask(question, previous=first.context)
    assert reply.kind is ReplyKind.FALLBACK and reply.text.startswith("The article says nothing more on that")


def test_a_why_the_answer_itself_explains_is_still_answered(engine: Engine) -> None:
    """Only the cause of a ranking is refused: why accurate codes matter is in the answer on their purpose."""
    first = engine.ask("what are medical codes for?")
    reply = engine.ask("why is it important to get them right?", previous=first.context)
    assert reply.answered


def test_their_names_after_two_organisations_gives_both(engine: Engine) -> None:
    first = engine.ask("which organizations offer coding certifications?")
    reply = engine.ask("what are their full names?", previous=first.context)
    assert reply.answered
    assert "American Academy of Professional Coders" in reply.text
    assert "American Health Information Management Association" in reply.text


def test_a_comparison_with_a_figure_of_another_entry(engine: Engine) -> None:
    first = engine.ask("median pay by employment sector?")
    reply = engine.ask("are any of those above the national median?", previous=first.context)
    assert reply.answered and "$44,090" in reply.text and "$47,040" in reply.text


def test_the_median_after_one_figure_is_the_national_median_not_the_sectors(engine: Engine) -> None:
    """ "the median" alone is read by the matcher (the national median), not as the sectors' median wages."""
    first = engine.ask("how much do CCS holders earn")
    reply = engine.ask("does that beat the median?", previous=first.context)
    assert reply.answered and "$60,080" in reply.text and "$44,090" in reply.text
    assert "$47,040" not in reply.text  # no sector's median wage


def test_best_paying_after_a_table_picks_from_that_table(engine: Engine) -> None:
    first = engine.ask("median pay by employment sector?")
    reply = engine.ask("which one is the highest paying?", previous=first.context)
    assert reply.answered and "highest is **outpatient care centers" in reply.text


def test_thanks_with_you_are_the_best_is_small_talk(engine: Engine) -> None:
    assert engine.ask("thanks, you're the best").kind is ReplyKind.SMALL_TALK


def test_why_more_after_an_answer_without_figures_is_still_answered(engine: Engine) -> None:
    """Found in review: only figures shown have causes the article lacks."""
    first = engine.ask("what is networking?")
    reply = engine.ask("why does networking matter more than people think?", previous=first.context)
    assert reply.answered and reply.entry_id == "step-networking"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("hi cpc exam", "cpc exam"),
        ("what's up, what does a CPC earn?", "what does a CPC earn?"),
        ("what's up with the CPC exam?", "what's up with the CPC exam?"),  # its first words are the question
        ("what’s up with the CPC exam?", "what’s up with the CPC exam?"),
        ("is anyone here certified?", "is anyone here certified?"),
        ("hi", "hi"),
    ],
)
def test_a_greeting_is_taken_off_a_question_only_when_it_is_one(engine: Engine, text: str, kept: str) -> None:
    assert engine.kb.small_talk.without_greeting(text) == kept


def test_their_names_is_both_even_when_the_question_alone_answers_one(engine: Engine) -> None:
    """Found in review: "what are their names?" alone answers the AAPC; after both, it means both."""
    first = engine.ask("which orgs certify?")
    reply = engine.ask("what are their names?", previous=first.context)
    assert {b.entry_id for b in reply.blocks} == {"aapc", "ahima"}
    own = engine.ask("how much do they make?", previous=engine.ask("which states pay coders the most?").context)
    assert own.entry_id == "salary-median"  # "they" are coders here, not the states


def test_a_comparison_ranks_only_like_figures(engine: Engine) -> None:
    """Found in review: the 8% growth rate was ranked among dollar wages."""
    first = engine.ask("median pay by employment sector?")
    reply = engine.ask("is that higher than the job growth?", previous=first.context)
    assert "$47,040" in reply.text and "8%" not in reply.text


@pytest.mark.parametrize(
    ("previous", "remark"),
    [
        ("what are the steps to become a coder?", "i can do that"),
        ("what is ICD-10?", "diagnosis codes are confusing"),
        ("what does a medical coder do?", "my mom is a coder and she loves it"),
    ],
)
def test_a_remark_after_an_answer_is_not_answered_with_it_again(engine: Engine, previous: str, remark: str) -> None:
    """No question (no question mark, no question opening it): a remark, even with "is" or "do" in it."""
    reply = engine.ask(remark, previous=engine.ask(previous).context)
    assert not reply.answered


@pytest.mark.parametrize(
    ("previous", "follow_up"),
    [
        ("what does a clinical documentation specialist do?", "really?"),
        ("hi im a nurse thinking of switching to coding. how much do nurses make compared to coders?", "why?"),
        ("is medical coding boring?", "in 2024?"),
    ],
)
def test_a_follow_up_to_what_the_article_lacks_never_gets_two_answers(
    engine: Engine, previous: str, follow_up: str
) -> None:
    """Joined to a question the article does not answer, the reader's belief split between two entries says the
    follow-up is about neither: two answers at once are only for a message's own reading."""
    first = engine.ask(previous)
    assert not first.answered
    reply = engine.ask(follow_up, previous=first.context)
    assert not reply.paired and not reply.answered


def test_asking_for_another_way_alone_needs_a_topic(engine: Engine) -> None:
    """ "is there another route?" names no topic of its own: with nothing before it, it needs one."""
    reply = engine.ask("is there another route?")
    assert not reply.answered and reply.text.startswith("That needs a topic")
