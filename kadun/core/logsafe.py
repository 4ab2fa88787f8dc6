"""Log lines nobody else can write: the formatter of kadun's log handlers.

A logged value may come from a client — a login username (axes logs every failure), an
``out_trade_no``, a path. A CR or LF in it would start a forged line ("... WARNING
kadun.payments FORGED LINE"), and other control characters can rewrite a terminal. The
formatter escapes every control character (Unicode category Cc: C0, DEL and C1, NEL included)
and the line / paragraph separators U+2028 / U+2029 in the *message*, the way ``repr`` does:
``\\n``, ``\\r``, ``\\t``, ``\\x1b``, ``\\u2028``. A traceback appended to the message is the
log's own text and keeps its lines. Backslashes are left alone, so values already logged with
``%r`` (or escaped by Django) read the same as before.
"""
from __future__ import annotations

import copy
import logging
import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # Unicode Cc, Zl and Zp: nothing else
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    return _UNSAFE.sub(_escape_char, text)


class SafeFormatter(logging.Formatter):
    """logging.Formatter whose message part never holds a control character."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        message = getattr(record, "message", "")
        if _UNSAFE.search(message):
            record = copy.copy(record)  # other handlers see the record as it was logged
            record.message = escape_controls(message)
        return super().formatMessage(record)
