"""The planner map, built with folium: the Leaflet map, its background tiles, one empty layer per
data layer, the layer control. The layers fill themselves in the browser from the API
(static/js/planner.js), so the map and the downloads always show the same data.

Folium's own template links Leaflet, jQuery and Bootstrap from CDNs; `LocalMap` replaces them
with our copies under /static/vendor, since phones in the field and CI have no CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure, MacroElement
from branca.utilities import color_brewer
from folium.template import Template

from web.templating import static_url

# key, label in the layer control, shown when the page opens
LAYERS: tuple[tuple[str, str, bool], ...] = (
    ("hexes", "Hexagons: reports", True),
    ("effort", "Observer effort: where people looked", False),
    ("areas", "Areas: chosen indicator", False),
    ("service", "Service points", True),
    ("hotspot", "Hotspot reports", False),
    ("litter", "Litter surveys", False),
    ("coverage", "Coverage gaps", False),
    ("register", "Register check: facilities by what citizens say", False),
    ("missing", "Missing from the register", False),
    ("hotspots", "Hotspot analysis (Gi*)", False),
)
# Where the map opens when no areas are stored: the whole world.
WORLD = ((-60.0, -170.0), (75.0, 170.0))


class LocalMap(folium.Map):
    """A folium Map that loads Leaflet from our own server and leaves page zoom to the user
    (folium's viewport forbids pinch-zoom, which people with low vision need)."""

    # folium reads these class attributes (lists, by its own annotation) when it renders.
    default_js = [  # noqa: RUF012
        ("leaflet", static_url("vendor/leaflet/leaflet.js")),
        ("markercluster", static_url("vendor/leaflet.markercluster/leaflet.markercluster.js")),
    ]
    default_css = [  # noqa: RUF012
        ("leaflet_css", static_url("vendor/leaflet/leaflet.css")),
        ("markercluster_css", static_url("vendor/leaflet.markercluster/MarkerCluster.css")),
        (
            "markercluster_default_css",
            static_url("vendor/leaflet.markercluster/MarkerCluster.Default.css"),
        ),
    ]
    _template = Template(
        """
        {% macro header(this, kwargs) %}{% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }} role="application"
                 aria-label="Map of reports; use the arrow keys to pan and + or - to zoom"></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }},
                 ...{{ this.options|tojavascript }}}
            );
            {%- if this.control_scale %}
            L.control.scale().addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )


class PlannerStart(MacroElement):
    """Hands the map, its layers and the layer control to static/js/planner.js."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            CivicMap.planner.start({{ this._parent.get_name() }}, {
            {%- for key, group in this.groups.items() %}
                {{ key|tojson }}: {{ group.get_name() }},
            {%- endfor %}
            }, {{ this.control.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, groups: dict[str, folium.FeatureGroup], control: folium.LayerControl):
        super().__init__()
        self._name = "PlannerStart"
        self.groups = groups
        self.control = control


@dataclass(frozen=True, slots=True)
class MapParts:
    """The rendered map, in the three parts a page template places."""

    header: str
    html: str
    script: str


def build_planner_map(
    *,
    tile_url: str,
    tile_attribution: str,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None,
) -> MapParts:
    """The planner map, centred on `bounds` ((south, west), (north, east) in degrees), with the
    background tiles of `tile_url` (none when empty). The browser fits the bounds itself
    (planner.js), without animation, so that the layers load once for the view people see."""
    (south, west), (north, east) = bounds or WORLD
    m = LocalMap(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=6,
        tiles=None,
        control_scale=True,
        min_zoom=2,
        max_zoom=18,
    )
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=tile_attribution, name="Background map", max_zoom=19
        ).add_to(m)
    groups = {key: folium.FeatureGroup(name=label, show=shown) for key, label, shown in LAYERS}
    for group in groups.values():
        group.add_to(m)
    control = folium.LayerControl(collapsed=True, position="topright")
    control.add_to(m)
    PlannerStart(groups, control).add_to(m)
    figure = m.get_root()
    assert isinstance(figure, Figure)
    figure.render()
    return MapParts(
        header=figure.header.render(), html=figure.html.render(), script=figure.script.render()
    )


def palettes() -> dict[str, Any]:
    """The map's colours. Within each scheme every class stays apart under simulated
    colour-blindness (tests/web/test_palettes.py; ColorBrewer's schemes are also flagged
    colour-blind safe by ColorBrewer). Across the report layers drawn together (hexagons,
    areas, service points, hotspots, litter, observer effort) no colour has two meanings:

    - how many reports: purples (hexagons and areas by reports);
    - satisfaction: BrBG, diverging from brown (dissatisfied) to blue-green (satisfied);
    - a service point's status: green, yellow and black, which no scale uses;
    - hotspot severity in oranges to red, litter in pinks;
    - observer effort: pale yellow where people looked and found nothing, blues by reports per
      visit where they found some (the palest left out), the darkest blue for the outline of
      reports with no recorded visit;
    - grouped reports in a neutral dark grey, explained in the legend.

    The analyses (people beyond reach in reds, Gi* from deep red to deep blue) each have a
    scheme of their own, and may share hues with a report layer drawn beneath them."""
    blues = color_brewer("Blues", 6)
    return {
        "count": color_brewer("Purples", 6)[1:],
        "share": color_brewer("BrBG", 5),
        "satisfaction": color_brewer("BrBG", 4),
        "status": {"operational": "#4daf4a", "partly": "#f0e442", "closed": "#000000"},
        "status_unknown": "#d9d9d9",
        "cluster": "#525252",
        "litter": color_brewer("PuRd", 5),
        "severity": color_brewer("OrRd", 5),
        "demand": color_brewer("Reds", 5),
        "gistar": color_brewer("RdBu", 7),
        "suppressed": "#9e9e9e",
        "effort": {"empty": "#ffff99", "found": blues[2:], "unvisited": blues[-1]},
    }
