"""The command language's colours as a rich Highlighter, for Textual inputs and logs.

It lives in the TUI, not beside the lexer in lang, because it needs rich: lang stays free of
Textual and rich (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

from pygments.token import _TokenType
from rich.highlighter import Highlighter
from rich.text import Text

from sockplay.lang.lexer import style_spans


class SockHighlighter(Highlighter):
    """Colours a line with the command language's lexer (or PythonLexer for `python`)."""

    def __init__(self, styles: dict[_TokenType, str] | None = None, python: bool = False) -> None:
        self.styles = styles
        self.python = python

    def highlight(self, text: Text) -> None:
        for start, end, style in style_spans(text.plain, self.styles, self.python):
            text.stylize(style, start, end)


def rich_highlighter(
    styles: dict[_TokenType, str] | None = None, python: bool = False
) -> SockHighlighter:
    """`styles` overrides TOKEN_STYLES (a theme's colours); `python` uses PythonLexer."""
    return SockHighlighter(styles, python)
