"""Text fields of the API's argument schemas: what PostgreSQL text can hold, said in the OpenAPI
document as a pattern, so a client generated from the document sends nothing the API refuses."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

# PostgreSQL text cannot hold NUL, and nothing stored holds it
NO_NUL = r"^[^\x00]*$"


class Shape(validate.Regexp):
    """A documented pattern, matched as a JSON Schema matches it: the whole value (the `$` of
    Python's `re` also matches before a final newline). Patterns use explicit characters, as
    the `\\s` and `\\d` of Python and of a JSON Schema's ECMAScript differ."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def text(
    *,
    min_length: int | None = None,
    max_length: int,
    pattern: str = NO_NUL,
    error: str = "Text cannot hold NUL characters.",
    **kwargs: Any,
) -> fields.String:
    """A text argument of these lengths whose whole value matches `pattern`."""
    lengths = validate.Length(min=min_length, max=max_length)
    return fields.String(validate=[lengths, Shape(pattern, error=error)], **kwargs)
