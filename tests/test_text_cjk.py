"""Chinese and Japanese text: full-width marks end sentences, a character counts as a word."""

from digest.models import Article
from digest.summarize import is_candidate, summarize
from digest.text import count_words, split_sentences, words

# Our own paragraphs: a city's cycling plan (Japanese) and a bus plan (Chinese).
JAPANESE = (
    "東京都は月曜日、新しい自転車道の計画を発表した。計画では、二〇三〇年までに百キロの道を"
    "整備する。知事は「安全な街をつくりたい。子どもも走れる道にする。」と述べた。"
    "費用は約三百億円になる見込みだ！住民の多くは賛成している？"
)
CHINESE = (
    "市政府周二宣布了新的公交计划。该计划将在明年春季开始实施！市民对此有什么看法？"
    "许多人表示欢迎，认为这会让上班更方便。"
)


def test_japanese_sentences_end_at_full_width_marks_but_not_inside_a_quotation():
    assert split_sentences(JAPANESE) == [
        "東京都は月曜日、新しい自転車道の計画を発表した。",
        "計画では、二〇三〇年までに百キロの道を整備する。",
        "知事は「安全な街をつくりたい。子どもも走れる道にする。」と述べた。",
        "費用は約三百億円になる見込みだ！",
        "住民の多くは賛成している？",
    ]


def test_chinese_sentences_end_at_full_width_marks():
    assert split_sentences(CHINESE) == [
        "市政府周二宣布了新的公交计划。",
        "该计划将在明年春季开始实施！",
        "市民对此有什么看法？",
        "许多人表示欢迎，认为这会让上班更方便。",
    ]


def test_a_chinese_or_japanese_character_counts_as_a_word():
    assert count_words("市政府周二宣布了新的公交计划。") == 14
    assert count_words("知事は「安全」と述べた。") == 9
    assert count_words("東京 Marathon は三月") == 6  # 東京, は, 三, 月 and one English word
    assert words("公交计划") == ["公", "交", "计", "划"]
    assert count_words("The bus plan starts in spring.") == 6


def test_chinese_and_japanese_sentences_can_stand_in_a_brief():
    assert is_candidate("市政府周二宣布了新的公交计划。")
    assert is_candidate("知事は「安全な街をつくりたい。子どもも走れる道にする。」と述べた。")
    assert not is_candidate("はい。")  # too short to say anything


def test_a_japanese_and_a_chinese_article_get_whole_sentence_briefs():
    for text in (JAPANESE, CHINESE):
        brief = summarize(Article(title="", text=text, origin="test"))
        assert 2 <= len(brief.sentences) <= 3
        assert all(sentence in split_sentences(text) for sentence in brief.sentences)
