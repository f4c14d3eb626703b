"""Greetings, thanks and goodbyes: recognised before matching, answered kindly, never as facts.

Why a separate step: "hi" or "thanks!" shares no word with the article, so the matcher could only
say "I don't know that", which reads as rude; and a greeting must never borrow an entry's answer.
A message counts as small talk only when every word in it belongs to a small-talk phrase or to
harmless filler, so "hi! what does a CPC earn?" is still a question.
"""

from __future__ import annotations

import enum
import re

from bot.core.normalize import clean


class SmallTalk(enum.StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    ABOUT_BOT = "about"  # "who are you", "what can you do", "help"


# Longest phrases first, so "thank you" is read before "you" is left over as an unknown word.
_PHRASES: dict[SmallTalk, tuple[str, ...]] = {
    SmallTalk.GOODBYE: (
        "good night",
        "goodnight",
        "good bye",
        "goodbye",
        "bye bye",
        "bye",
        "byee",
        "see you later",
        "see you",
        "see ya",
        "cya",
        "later",
        "take care",
        "have a good day",
        "have a good night",
        "have a nice day",
        "have a good one",
        "gn",
        "gotta go",
        "talk later",
        "ttyl",
        "signing off",
        "logging off",
    ),
    SmallTalk.THANKS: (
        "thank you so much",
        "thank you very much",
        "thanks so much",
        "thanks a lot",
        "thanks a bunch",
        "thank you",
        "thank u",
        "thanks",
        "thanx",
        "thx",
        "ty",
        "tysm",
        "tyvm",
        "cheers",
        "much appreciated",
        "appreciate it",
        "appreciate you",
        "appreciated",
        "that helps",
        "that helped",
        "that was helpful",
        "very helpful",
        "super helpful",
        "helpful",
        "got it",
        "makes sense",
        "that makes sense",
        "perfect",
        "awesome",
        "great",
        "cool",
        "nice",
        "sweet",
        "amazing",
    ),
    SmallTalk.GREETING: (
        "good morning",
        "good afternoon",
        "good evening",
        "morning",
        "evening",
        "hello there",
        "hello",
        "hi there",
        "hi",
        "hii",
        "hiii",
        "hey there",
        "hey",
        "heya",
        "heyy",
        "hiya",
        "howdy",
        "yo",
        "sup",
        "whats up",
        "what s up",
        "wassup",
        "greetings",
        "how are you",
        "how r u",
        "how are u",
        "how s it going",
        "hows it going",
        "how are you doing",
        "how you doing",
        "nice to meet you",
        "new here",
        "i m new",
        "im new",
        "i am new",
        "just joined",
        "first time here",
        "anyone here",
        "is anyone here",
        "anybody here",
    ),
    SmallTalk.ABOUT_BOT: (
        "who are you",
        "what are you",
        "are you a bot",
        "are you a real person",
        "are you a person",
        "is this a bot",
        "is this a real person",
        "am i talking to a bot",
        "am i talking to a person",
        "am i talking to a human",
        "is this ai",
        "are you chatgpt",
        "are you a robot",
        "are you real",
        "are you human",
        "are you an ai",
        "what can you do",
        "what do you do",
        "what can i ask",
        "what can i ask you",
        "what do you know",
        "help",
        "help me",
        "how do i use you",
        "how does this work",
        "what is this bot",
        "what is this",
        "who made you",
        "whats your name",
        "what s your name",
        "what is your name",
    ),
}
# Words that may surround small talk without making it a question.
_FILLER = frozenset(
    [
        "a",
        "again",
        "all",
        "alright",
        "also",
        "and",
        "as",
        "been",
        "bot",
        "buddy",
        "channel",
        "chat",
        "coach",
        "community",
        "dear",
        "discord",
        "everybody",
        "everyone",
        "fam",
        "folks",
        "for",
        "friend",
        "friends",
        "group",
        "guys",
        "haha",
        "hehe",
        "here",
        "hi",
        "hmm",
        "i",
        "just",
        "lmao",
        "lol",
        "lot",
        "lots",
        "man",
        "mate",
        "much",
        "my",
        "no",
        "nope",
        "oh",
        "ok",
        "okay",
        "omg",
        "pal",
        "peeps",
        "people",
        "really",
        "s",
        "server",
        "sir",
        "so",
        "super",
        "team",
        "that",
        "the",
        "there",
        "this",
        "today",
        "too",
        "truly",
        "uh",
        "um",
        "very",
        "was",
        "well",
        "wow",
        "y",
        "yall",
        "yay",
        "yeah",
        "yep",
        "yes",
        "you",
        "your",
    ]
)
_WORD = re.compile(r"[a-z]+")
_ASKS = re.compile(
    r"\b(?:what|whats|how|which|where|who|when|why|should|can|could|do|does|did|is|are|will|would|any|anyone|tell)\b"
)
_ORDER = (SmallTalk.ABOUT_BOT, SmallTalk.GOODBYE, SmallTalk.THANKS, SmallTalk.GREETING)
_PATTERNS = {
    kind: re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(_PHRASES[kind], key=len, reverse=True)) + r")\b")
    for kind in _ORDER
}
MAX_SMALL_TALK_WORDS = 12

REPLIES: dict[SmallTalk, str] = {
    SmallTalk.GREETING: "Hi! I'm a career coach for future medical coders.",
    SmallTalk.THANKS: "You're welcome! Good luck on your way into medical coding.",
    SmallTalk.GOODBYE: "Bye for now, and good luck on your way into medical coding!",
    SmallTalk.ABOUT_BOT: "I'm a bot that coaches people who want to become medical coders.",
}


def _words(text: str) -> str:
    """The message's lowercase words, apostrophes split ("that's" -> "that s"), one space apart."""
    return " ".join(_WORD.findall(clean(text).replace("'", " ").replace("’", " ")))


def is_introduction(text: str) -> bool:
    """Whether `text` opens with a greeting and asks nothing after it ("Hi, I'm a nurse's aide and ...").

    Any question word after the greeting makes it a question ("hi, how do I get experience"), with or
    without a question mark.
    """
    words = _words(text)
    found = _PATTERNS[SmallTalk.GREETING].match(words)
    return found is not None and "?" not in text and not _ASKS.search(words[found.end() :])


def classify(text: str) -> SmallTalk | None:
    """The kind of small talk `text` is, or None when it holds anything else (such as a question)."""
    words = _words(text)
    if not words or words.count(" ") >= MAX_SMALL_TALK_WORDS:
        return None
    found: SmallTalk | None = None
    rest = words
    for kind in _ORDER:
        rest, count = _PATTERNS[kind].subn(" ", rest)
        if count and found is None:
            found = kind
    if found is None:
        return None
    if any(word not in _FILLER for word in rest.split()):
        return None
    return found
