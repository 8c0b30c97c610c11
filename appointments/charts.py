"""Horizontal bar charts as plain SVG geometry, drawn by a template on the server.

No chart library: a bar chart is a few rectangles and labels. The template gives each
chart role="img" with a title and a description, and puts the data table beside it.
"""

from dataclasses import dataclass

LABEL_WIDTH = 270
BAR_SPACE = 280
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass
class Bar:
    label: str
    value: float
    display: str
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass
class BarChart:
    slug: str
    title: str
    description: str
    bars: list[Bar]
    bar_x: int = LABEL_WIDTH
    width: int = LABEL_WIDTH + BAR_SPACE + 70

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT + 8

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8


def bar_chart(*, slug: str, title: str, description: str, items, maximum=None) -> BarChart:
    """A chart from (label, value, displayed value) triples; bars scale to the largest
    value, or to `maximum` (e.g. 1.0 for shares)."""
    items = list(items)
    top = maximum or max((value for _label, value, _display in items), default=0) or 1
    bars = [
        Bar(
            label=str(label),
            value=value,
            display=str(display),
            y=4 + i * ROW_HEIGHT,
            width=round(BAR_SPACE * min(value / top, 1)),
        )
        for i, (label, value, display) in enumerate(items)
    ]
    return BarChart(slug=slug, title=str(title), description=str(description), bars=bars)
