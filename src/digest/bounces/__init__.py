"""Bounces, complaints and auto-replies: classify them, and turn them into suppressions.

- ``classify``: one raw RFC 5322 message -> a :class:`Verdict` (pure, no I/O);
- ``reasons``: the text and status-code rules that tell a hard bounce from a block;
- ``events``: provider event files (Amazon SES, SendGrid, Postmark, Mailgun) -> verdicts;
- ``mailbox``: the bounce mailbox over IMAP (the only module that imports imaplib);
- ``process``: verdicts -> suppressions and soft-bounce streaks in the state store.
"""
