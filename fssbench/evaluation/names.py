"""Image ids that come from the user's data are written into run files that separate them by ``;`` (an episode's
supports) and by lines: an id holding either is refused in one line before anything is scored."""

from __future__ import annotations

from collections.abc import Iterable

from fssbench.episodes import Episode
from fssbench.errors import DataError

#: What a run file uses to separate ids: supports by ";", records by lines.
SEPARATORS = (";", "\n", "\r")


def check_image_ids(episodes: Iterable[Episode], benchmark: str) -> None:
    """Refuse an image id that cannot be written and read back without ambiguity, naming it."""
    for episode in episodes:
        for image in (episode.query, *episode.supports):
            if any(s in image for s in SEPARATORS):
                raise DataError(
                    f"{benchmark}: image {image!r} has a ';' or a line break in its name (a class folder's or a "
                    "file's), which run files cannot hold without ambiguity; rename it"
                )
