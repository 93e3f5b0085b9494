"""Just enough of Go's syntax to find Ginkgo calls in an e2e file: comments blanked and string contents
masked (offsets kept), brackets matched, a call's arguments split at its top-level commas.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

OPENING = {"(": ")", "{": "}", "[": "]"}
CLOSING = {value: key for key, value in OPENING.items()}
MASK = "_"  # what string contents become in the masked text; comments become blanks


class GoSyntaxError(ValueError):
    """The file is not the Go this reader understands (an unclosed string, unbalanced brackets)."""


@dataclass(frozen=True)
class Literal:
    """A string literal: its span in the file (quotes included) and its value."""

    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Arg:
    """One argument of a call: its span in the file, without surrounding blanks."""

    start: int
    end: int


class GoSource:
    """A Go file with comments blanked and string contents masked, so brackets and commas can be trusted."""

    def __init__(self, text: str) -> None:
        self.text = text
        masked = list(text)
        self.literals: dict[int, Literal] = {}
        i, n = 0, len(text)
        while i < n:
            char = text[i]
            if text.startswith("//", i):
                end = text.find("\n", i)
                end = n if end < 0 else end
                masked[i:end] = " " * (end - i)
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                if end < 0:
                    raise GoSyntaxError(f"unclosed comment at offset {i}")
                end += 2
                masked[i:end] = [c if c == "\n" else " " for c in text[i:end]]
            elif char in "\"'`":
                end = self._literal_end(i)
                if char != "'":
                    self.literals[i] = Literal(i, end, _decode(text[i:end]))
                masked[i + 1 : end - 1] = MASK * (end - i - 2)
            else:
                end = i + 1
            i = end
        self.masked = "".join(masked)

    def _literal_end(self, start: int) -> int:
        quote, text = self.text[start], self.text
        if quote == "`":
            end = text.find("`", start + 1)
            if end < 0:
                raise GoSyntaxError(f"unclosed raw string at offset {start}")
            return end + 1
        i = start + 1
        while i < len(text) and text[i] != quote:
            if text[i] == "\n":
                raise GoSyntaxError(f"unclosed {quote} literal at offset {start}")
            i += 2 if text[i] == "\\" else 1
        return i + 1

    def closing(self, opening: int) -> int:
        """The offset of the bracket that closes the one at ``opening``."""
        depth = []
        for i in range(opening, len(self.masked)):
            char = self.masked[i]
            if char in OPENING:
                depth.append(char)
            elif char in CLOSING:
                if not depth or depth.pop() != CLOSING[char]:
                    raise GoSyntaxError(f"unbalanced {char!r} at offset {i}")
                if not depth:
                    return i
        raise GoSyntaxError(f"no closing bracket for offset {opening}")

    def args(self, opening: int) -> list[Arg]:
        """The arguments of the call whose ``(`` is at ``opening``."""
        close = self.closing(opening)
        args, start, i = [], opening + 1, opening + 1
        while i < close:
            char = self.masked[i]
            if char in OPENING:
                i = self.closing(i)
            elif char == ",":
                args.append(self._arg(start, i))
                start = i + 1
            i += 1
        if self.masked[start:close].strip():
            args.append(self._arg(start, close))
        return args

    def _arg(self, start: int, end: int) -> Arg:
        piece = self.masked[start:end]
        lead = len(piece) - len(piece.lstrip())
        return Arg(start + lead, start + len(piece.rstrip()))

    def source(self, arg: Arg) -> str:
        """The argument as written, comments blanked."""
        return self.code(arg.start, arg.end)

    def code(self, start: int, end: int) -> str:
        """The text between start and end with comments blanked and string literals as written."""
        pieces, i = [], start
        for at in sorted(k for k in self.literals if start <= k < end):
            literal = self.literals[at]
            pieces += [self.masked[i:at], self.text[at : literal.end]]
            i = literal.end
        pieces.append(self.masked[i:end])
        return "".join(pieces)

    def string(self, arg: Arg) -> str | None:
        """The value of an argument that is a string literal, or literals joined by ``+``; else None."""
        parts = [part.strip() for part in self.masked[arg.start : arg.end].split("+")]
        values, offset = [], arg.start
        for part in parts:
            at = self.masked.index(part, offset)
            literal = self.literals.get(at)
            if literal is None or literal.end != at + len(part):
                return None
            values.append(literal.value)
            offset = literal.end
        return "".join(values)

    def func_bodies(self) -> list[tuple[int, int]]:
        """The ``{...}`` spans of every function literal and declaration."""
        bodies = []
        for match in re.finditer(r"\bfunc\b", self.masked):
            i = match.end()
            while i < len(self.masked) and self.masked[i] not in "{\n)},;=":
                i = self.closing(i) + 1 if self.masked[i] in "([" else i + 1
            if i < len(self.masked) and self.masked[i] == "{":  # else a func type, not a function
                bodies.append((i, self.closing(i)))
        return bodies

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1


def _decode(literal: str) -> str:
    if literal.startswith("`"):
        return literal[1:-1]
    return ast.literal_eval(literal)  # Go's escapes in interpreted strings are Python's, for spec names
