from datetime import timedelta
from pathlib import Path

import pytest

from digest.config import Config, Source, load_config, load_environment, parse_config
from digest.errors import ConfigError
from digest.models import LedgerSync


def test_no_file_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config(env={}) == Config()
    assert Config().sources == (Source(Path("content")),)


def test_paths_are_relative_to_the_configuration_file(tmp_path):
    path = tmp_path / "conf" / "digest.toml"
    path.parent.mkdir()
    path.write_text(
        '[digest]\ntitle = "Weekly"\nsentences = 2\nout_dir = "site"\n'
        '[[sources]]\npath = "articles"\nname = "Ours"\n'
    )
    config = load_config(path, env={})
    assert config.title == "Weekly" and config.sentences == 2
    assert config.out_dir == tmp_path / "conf" / "site"
    assert config.sources == (Source(tmp_path / "conf" / "articles", "Ours"),)


def test_dotenv_names_the_configuration_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.toml").write_text('[digest]\ntitle = "From dotenv"\n')
    (tmp_path / "b.toml").write_text('[digest]\ntitle = "From environment"\n')
    (tmp_path / ".env").write_text("DIGEST_CONFIG=a.toml\n")
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    assert load_config().title == "From dotenv"
    monkeypatch.setenv("DIGEST_CONFIG", "b.toml")
    assert load_environment()["DIGEST_CONFIG"] == "b.toml"
    assert load_config().title == "From environment"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[digest]\nsentences = 0\n", "at least 1"),
        ('[digest]\nsentences = "three"\n', "must be a whole number"),
        ('[digest]\nalgorithm = "magic"\n', "not one of"),
        ('[digest]\ncolour = "red"\n', "unknown setting 'colour'"),
        ("[[sources]]\nname = 'no path'\n", "needs a path"),
        ("sources = []\n", "non-empty list"),
        ("title = 'top level'\n", "unknown setting 'title'"),
        ("[digest\n", "not valid TOML"),
    ],
)
def test_mistakes_are_reported_with_where_and_what(tmp_path, toml, message):
    path = tmp_path / "digest.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path, env={})
    assert str(path) in str(caught.value)


def test_email_settings_are_read_and_urls_must_be_absolute(tmp_path):
    from digest.config import ConfigError, html_lang, parse_config

    config = parse_config(
        {
            "digest": {
                "web_url": "https://news.example.org/{date}.html",
                "unsubscribe_url": "mailto:leave@example.org",
                "sender_name": "Weekly",
                "postal_address": "1 Quay Street",
                "sections": ["World", " Local ", "World"],
            }
        },
        base=tmp_path,
    )
    assert config.web_url == "https://news.example.org/{date}.html"
    assert config.unsubscribe_url == "mailto:leave@example.org"
    assert config.sections == ("World", "Local")
    with pytest.raises(ConfigError, match=r"digest.web_url must be an absolute URL"):
        parse_config({"digest": {"web_url": "/web/{date}.html"}}, base=tmp_path)
    with pytest.raises(ConfigError, match=r"digest.sections must be a list of section names"):
        parse_config({"digest": {"sections": "World"}}, base=tmp_path)
    assert html_lang("German") == "de" and html_lang("klingon") == "en"


def test_feed_page_and_opml_sources_with_their_options(tmp_path):
    path = tmp_path / "digest.toml"
    path.write_text(
        '[digest]\nwindow = "48h"\nnew_feed_items = 2\nstate_dir = "st"\n'
        '[[sources]]\nfeed = "https://example.org/rss"\nsection = "World"\n'
        'include = ["a", "b"]\nexclude = "c"\nmax_items = 4\n'
        '[[sources]]\nopml = "feeds.opml"\n[[sources]]\npage = "http://example.org/p"\n'
    )
    config = load_config(path, env={})
    assert config.window == timedelta(hours=48) and config.new_feed_items == 2
    assert config.fetch_private is False
    assert parse_config({"digest": {"fetch_private": True}}, base=tmp_path).fetch_private
    with pytest.raises(ConfigError, match=r"digest\.fetch_private must be true or false"):
        parse_config({"digest": {"fetch_private": "yes"}}, base=tmp_path)
    assert config.state_dir == tmp_path / "st"
    feed, opml, page = config.sources
    assert [r.written for r in feed.filters.includes[0]] == ["a", "b"]
    assert [r.written for r in feed.filters.exclude] == ["c"]
    assert feed == Source(
        feed="https://example.org/rss", section="World", filters=feed.filters, max_items=4
    )
    assert opml.opml == tmp_path / "feeds.opml" and page.page == "http://example.org/p"
    assert load_config(path, env={"DIGEST_STATE_DIR": "/var/x"}).state_dir == Path("/var/x")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[digest]\nwindow = "soon"\n', "since-last-run"),
        ('[[sources]]\nfeed = "file:///etc/passwd"\n', "http or https URL"),
        ('[[sources]]\nfeed = "https://a/"\npage = "https://b/"\n', "exactly one"),
        ('[[sources]]\nfeed = "https://a/"\nmax_items = 0\n', "at least 1"),
        ('[[sources]]\nfeed = "https://a/"\ninclude = [1]\n', "list of strings"),
    ],
)
def test_source_mistakes_are_reported(tmp_path, toml, message):
    path = tmp_path / "digest.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(path, env={})


def test_sending_settings_come_from_send_table_and_the_environment_wins_over_dotenv(
    tmp_path, monkeypatch
):
    (tmp_path / "digest.toml").write_text(
        '[digest]\nunsubscribe_url = "https://a.example.org/u"\n'
        '[send]\nsubject = "{title} ({count}) {iso_date}"\nrate = 2.5\nattempts = 3\n'
        'ledger_sync = "Full"\n'
    )
    (tmp_path / ".env").write_text(
        "SMTP_HOST=smtp.example.org\nSMTP_PASSWORD=from-dotenv\nSMTP_SECURITY=ssl\n"
        "DIGEST_TO=a@example.com, b@example.com\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMTP_PASSWORD", "from-environment")
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_URL", "https://b.example.org/u")
    config = load_config(tmp_path / "digest.toml", load_environment())
    send = config.send
    assert (send.host, send.security, send.smtp_port) == ("smtp.example.org", "ssl", 465)
    assert send.password == "from-environment" and "from-environment" not in repr(config)
    assert send.to == ("a@example.com", "b@example.com")
    assert (send.rate, send.attempts, send.subject) == (2.5, 3, "{title} ({count}) {iso_date}")
    assert config.unsubscribe_url == "https://b.example.org/u"
    assert send.ledger_sync is LedgerSync.FULL


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("", {"SMTP_PORT": "smtp"}, "SMTP_PORT must be a port number"),
        ("", {"SMTP_SECURITY": "tls"}, "SMTP_SECURITY must be one of"),
        ("[send]\nsubject = '{title} {when}'\n", {}, "send.subject"),
        ("[send]\nrate = -1\n", {}, "send.rate"),
        ("[send]\nlist_id = 'no dots'\n", {}, "send.list_id"),
        ("[send]\nspeed = 1\n", {}, "unknown setting 'speed'"),
        ("[send]\nledger_sync = 'fast'\n", {}, "send.ledger_sync must be"),
        ("", {"DIGEST_UNSUBSCRIBE_URL": "example.org/u"}, "DIGEST_UNSUBSCRIBE_URL"),
    ],
)
def test_bad_sending_settings_are_one_clear_error(tmp_path, toml, env, message):
    (tmp_path / "digest.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path / "digest.toml", env)


def test_the_example_configuration_parses():
    config = load_config(Path(__file__).parents[1] / "digest.example.toml", {})
    assert config.send.subject == "{title} · {date}" and config.send.rate == 10


@pytest.mark.parametrize(
    "toml", ['[digest]\ntitle = "Weekly\\r\\nBcc: x"\n', '[send]\nsubject = "{title}\\u0007"\n']
)
def test_control_characters_in_the_title_or_subject_are_refused(tmp_path, toml):
    path = tmp_path / "digest.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match="control character"):
        load_config(path, {})
