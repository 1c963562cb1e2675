from hypothesis import given
from hypothesis import strategies as st

from digest.text import split_paragraphs, split_sentences, words


def test_sentences_split_at_terminal_punctuation():
    assert split_sentences("It rained. Then it stopped! Did it? Yes.") == [
        "It rained.",
        "Then it stopped!",
        "Did it?",
        "Yes.",
    ]


def test_abbreviations_titles_and_initials_do_not_end_a_sentence():
    text = "Dr. Jane Smith met Mr. J. R. Jones on Jan. 5 at St. Mary's. They talked."
    assert split_sentences(text) == [
        "Dr. Jane Smith met Mr. J. R. Jones on Jan. 5 at St. Mary's.",
        "They talked.",
    ]


def test_acronym_ends_a_sentence_only_before_a_sentence_starter():
    assert split_sentences("Prices rose in the U.S. The euro fell.") == [
        "Prices rose in the U.S.",
        "The euro fell.",
    ]
    assert split_sentences("The U.S. economy grew 2.5% in May. It slowed later.") == [
        "The U.S. economy grew 2.5% in May.",
        "It slowed later.",
    ]


def test_closing_quote_stays_with_its_sentence():
    assert split_sentences('"We are ready," she said. "Are you?" He nodded.') == [
        '"We are ready," she said.',
        '"Are you?"',
        "He nodded.",
    ]


def test_lowercase_continuation_is_not_a_new_sentence():
    assert split_sentences("They paid approx. five dollars, e.g. for bread.") == [
        "They paid approx. five dollars, e.g. for bread."
    ]


def test_paragraph_break_always_ends_a_sentence():
    assert split_sentences("A heading without a stop\n\nThe text begins here.") == [
        "A heading without a stop",
        "The text begins here.",
    ]


def test_paragraph_lines_are_joined():
    assert split_paragraphs("one\ntwo\n\nthree") == ["one two", "three"]


def test_words_keep_inner_apostrophes_and_hyphens_but_not_numbers():
    assert words("Russia’s long-range plan, 2026: don't") == [
        "Russia’s",
        "long-range",
        "plan",
        "don't",
    ]


@given(
    st.lists(
        st.sampled_from(["Alpha", "beta", "U.S.", "Dr.", "3.5", "said.", "it!", "Why?"]),
        max_size=40,
    )
)
def test_splitting_loses_no_text(tokens):
    text = " ".join(tokens)
    assert " ".join(split_sentences(text)).split() == text.split()
