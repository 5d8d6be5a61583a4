"""The command language: one grammar, one table of commands, one executor for every front-end.

Importing this package loads neither prompt_toolkit nor pygments; the REPL,
completer and lexer live in their own modules and import from here.
"""

from sockplay.lang.commands import (
    COMMANDS,
    KINDS,
    ArgSpec,
    CommandSpec,
    KeySpec,
    command,
    vocabulary,
)
from sockplay.lang.executor import Executor, ExpectResult, Result, help_lines
from sockplay.lang.grammar import (
    ScriptError,
    Token,
    quote_data,
    quote_word,
    split_commands,
    tokenize,
)
from sockplay.lang.parser import Command, check_script, parse_line, parse_script

__all__ = [
    "COMMANDS",
    "KINDS",
    "ArgSpec",
    "Command",
    "CommandSpec",
    "Executor",
    "ExpectResult",
    "KeySpec",
    "Result",
    "ScriptError",
    "Token",
    "check_script",
    "command",
    "help_lines",
    "parse_line",
    "parse_script",
    "quote_data",
    "quote_word",
    "split_commands",
    "tokenize",
    "vocabulary",
]
