"""Names and commands written into a Markdown page, escaped so that no name can break a table or a line."""

from __future__ import annotations

import re

#: What breaks a table cell or a line of text, or starts code, HTML, a link or an entity: escaped. (Emphasis
#: characters are left as they are: GitHub reads no emphasis inside a word, and the shipped page's settings
#: hold `_`.)
SPECIAL = re.compile(r"([\\`|<>\[\]&])")


def md_text(text: object) -> str:
    """`text` as literal Markdown: special characters escaped, line breaks as spaces."""
    return SPECIAL.sub(r"\\\1", " ".join(str(text).split("\n")).replace("\r", " "))


def md_code(text: object) -> str:
    """`text` as an inline code span: fenced by more backticks than it holds, pipes escaped for tables."""
    flat = " ".join(str(text).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or longest else ""
    return f"{fence}{pad}{flat.replace('|', chr(92) + '|')}{pad}{fence}"
