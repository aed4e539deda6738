"""Small charts drawn on the server as SVG geometry, so the scorecard needs no script to show
them and reads the same on any phone."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, BASELINE = 320, 120, 100  # SVG user units; the chart scales to its box


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    text: str  # what the bar says in words, for its <title> and the table beside it
    suppressed: bool


@dataclass(frozen=True, slots=True)
class BarChart:
    label: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BASELINE


def bar_chart(values: list[tuple[str, int | float | None]], *, label: str) -> BarChart:
    """Bars for (label, value) pairs; a None value (suppressed) is drawn as a short grey stub so
    that a hidden month reads as hidden, not as zero."""
    top = max((v for _, v in values if v is not None), default=0) or 1
    step = WIDTH / max(len(values), 1)
    bars = []
    for i, (name, value) in enumerate(values):
        suppressed = value is None
        height = 6.0 if suppressed else BASELINE * 0.9 * float(value or 0) / top
        bars.append(
            Bar(
                x=round(i * step + step * 0.15, 1),
                y=round(BASELINE - height, 1),
                width=round(step * 0.7, 1),
                height=round(height, 1),
                label=name,
                text=f"{name}: {'suppressed' if suppressed else value}",
                suppressed=suppressed,
            )
        )
    return BarChart(label=label, bars=bars)
