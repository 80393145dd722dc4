"""Image ids that come from the user's data are written into run files that separate them by ``;`` (an episode's
supports) and by lines: an id holding either is refused in one line before anything is scored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

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


def check_episodes_once(cells: Mapping[tuple[int, int], list[Episode]], source: str) -> None:
    """Refuse, before anything is scored, a cell that holds one episode twice (a manifest with a repeated row)."""
    for (fold, shots), episodes in cells.items():
        repeated = [index for index, n in Counter(e.index for e in episodes).items() if n > 1]
        if repeated:
            raise DataError(
                f"{source}: episode {repeated[0]} of fold {fold} ({shots} shots) is listed more than once; "
                "list each episode once"
            )
