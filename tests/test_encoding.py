"""Page bytes to text: declared, detected and repaired encodings."""

import pytest

from digest.ingest.encoding import decode_html, has_mojibake, repair_text

RUSSIAN = "Старый маяк на северном мысе снова открыл двери для посетителей после ремонта."
JAPANESE = "港町の古い倉庫を改装した新しい図書館が、土曜日に開館しました。"
FRENCH = "Le café du port rouvre ses portes après l'été, avec des crêpes et du cidre."


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


def test_a_meta_charset_is_honoured():
    data = page(RUSSIAN, '<meta charset="windows-1251">').encode("cp1251")
    assert RUSSIAN in decode_html(data)


def test_the_http_charset_is_used_when_the_page_declares_none():
    data = page(JAPANESE).encode("shift_jis")
    assert JAPANESE in decode_html(data, "Shift_JIS")


def test_utf8_wins_over_a_wrong_latin1_label():
    data = page(FRENCH, '<meta charset="iso-8859-1">').encode("utf-8")
    assert FRENCH in decode_html(data, "iso-8859-1")


@pytest.mark.parametrize(
    ("text", "encoding"), [(RUSSIAN * 3, "cp1251"), (JAPANESE * 3, "shift_jis"), (FRENCH, "cp1252")]
)
def test_an_undeclared_charset_is_detected_from_the_bytes(text, encoding):
    assert text in decode_html(page(text).encode(encoding))


def test_a_byte_order_mark_decides():
    assert FRENCH in decode_html(page(FRENCH).encode("utf-16"))


def test_mojibake_is_found_and_repaired_but_clean_text_is_left_alone():
    broken = "Waters’ edge café".encode().decode("cp1252")
    assert has_mojibake(broken) and repair_text(broken) == "Waters’ edge café"
    for clean in (FRENCH, RUSSIAN, JAPANESE, "Ça va très bien"):
        assert not has_mojibake(clean) and repair_text(clean) == clean
