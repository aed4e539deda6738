"""The report taxonomy: service categories, litter survey types and item codes, hotspot themes.

Litter item codes and their materials follow the OSPAR/MSFD master list as used by EEA Marine
LitterWatch, so that surveys recorded here and there can be compared item by item.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

Kind = Literal["service", "litter", "hotspot"]
KINDS: tuple[Kind, ...] = ("service", "litter", "hotspot")


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class LitterItem:
    code: str
    label: str
    material: str


# Public services a person can rate. The first eleven are the service points a mapping campaign
# records; the rest are the government services that SDG 16.6.2 surveys ask about.
SERVICE_CATEGORIES: tuple[Category, ...] = (
    Category("health_facility", "Health facility"),
    Category("school", "School"),
    Category("water_point", "Water point"),
    Category("sanitation", "Sanitation (public toilet, latrine)"),
    Category("police", "Police"),
    Category("government_office", "Government office"),
    Category("transport", "Public transport"),
    Category("electricity", "Electricity supply"),
    Category("waste_collection", "Waste collection"),
    Category("market", "Market"),
    Category("civil_registration", "Civil registration (birth, marriage, death)"),
    Category("identity_documents", "Identity documents and passports"),
    Category("courts", "Courts and legal aid"),
    Category("social_protection", "Social protection and benefits"),
    Category("tax_office", "Tax office"),
    Category("land_registry", "Land registry"),
    Category("pharmacy", "Pharmacy"),
    Category("other", "Other public service"),
)

# What kind of litter record a report is. Counts per item go in the report's `items`.
LITTER_SURVEYS: tuple[Category, ...] = (
    Category("monitoring", "Monitoring survey of a beach stretch (OSPAR/MSFD protocol)"),
    Category("cleanup", "Clean-up event with item counts"),
    Category("sighting", "Litter seen at one spot"),
)

HOTSPOT_THEMES: tuple[Category, ...] = (
    Category("water", "Water access"),
    Category("sanitation", "Sanitation"),
    Category("flooding", "Flooding"),
    Category("waste_dumping", "Waste dumping"),
    Category("discrimination", "Discrimination"),
    Category("safety", "Safety"),
    Category("health", "Health"),
    Category("education", "Education"),
    Category("housing", "Housing"),
    Category("other", "Other"),
)

MATERIALS: tuple[str, ...] = (
    "plastic",
    "rubber",
    "cloth_textile",
    "paper_cardboard",
    "processed_wood",
    "metal",
    "glass_ceramics",
    "chemicals",
    "unidentified",
)

_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("G1", "plastic", "4/6-pack yokes, six-pack rings"),
    ("G3", "plastic", "Shopping Bags incl. pieces"),
    ("G4", "plastic", "Small plastic bags, e.g. freezer bags incl. pieces"),
    ("G5", "plastic", "Plastic bags collective role; what remains from rip-off plastic bags"),
    ("G7", "plastic", "Drink bottles <=0.5l"),
    ("G8", "plastic", "Drink bottles >0.5l"),
    ("G9", "plastic", "Cleaner bottles & containers"),
    ("G10", "plastic", "Food containers incl. fast food containers"),
    ("G11", "plastic", "Beach use related cosmetic bottles and containers, eg. Sunblocks"),
    ("G12", "plastic", "Other cosmetics bottles & containers"),
    ("G13", "plastic", "Other bottles & containers (drums)"),
    ("G14", "plastic", "Engine oil bottles & containers <50 cm"),
    ("G15", "plastic", "Engine oil bottles & containers > 50 cm"),
    ("G16", "plastic", "Jerry cans (square plastic containers with handle)"),
    ("G17", "plastic", "Injection gun containers"),
    ("G18", "plastic", "Crates and containers / baskets"),
    ("G19", "plastic", "Car parts"),
    ("G21", "plastic", "Plastic caps/lids drinks"),
    ("G22", "plastic", "Plastic caps/lids chemicals, detergents (non-food)"),
    ("G23", "plastic", "Plastic caps/lids unidentified"),
    ("G24", "plastic", "Plastic rings from bottle caps/lids"),
    ("G25", "plastic", "Tobacco pouches / plastic cigarette box packaging"),
    ("G26", "plastic", "Cigarette lighters"),
    ("G27", "plastic", "Cigarette butts and filters"),
    ("G28", "plastic", "Pens and pen lids"),
    ("G29", "plastic", "Combs/hair brushes/sunglasses"),
    ("G30", "plastic", "Crisps packets/sweets wrappers"),
    ("G31", "plastic", "Lolly sticks"),
    ("G32", "plastic", "Toys and party poppers"),
    ("G33", "plastic", "Cups and cup lids"),
    ("G34", "plastic", "Cutlery and trays"),
    ("G35", "plastic", "Straws and stirrers"),
    ("G36", "plastic", "Fertiliser/animal feed bags"),
    ("G37", "plastic", "Mesh vegetable bags"),
    ("G40", "plastic", "Gloves (washing up)"),
    ("G41", "plastic", "Gloves (industrial/professional rubber gloves)"),
    ("G42", "plastic", "Crab/lobster pots and tops"),
    ("G43", "plastic", "Tags (fishing and industry)"),
    ("G44", "plastic", "Octopus pots (plastic)"),
    ("G45", "plastic", "Mussels nets, Oyster nets"),
    ("G46", "plastic", "Oyster trays (round from oyster cultures)"),
    ("G47", "plastic", "Plastic sheeting from mussel culture (Tahitians)"),
    ("G49", "plastic", "Rope (diameter more than 1cm)"),
    ("G50", "plastic", "String and cord (diameter less than 1cm)"),
    ("G52", "plastic", "Nets and pieces of net"),
    ("G53", "plastic", "Nets and pieces of net < 50 cm"),
    ("G54", "plastic", "Nets and pieces of net > 50 cm"),
    ("G56", "plastic", "Tangled nets/cord"),
    ("G57", "plastic", "Fish boxes - plastic"),
    ("G58", "plastic", "Fish boxes - expanded polystyrene"),
    ("G59", "plastic", "Fishing line/monofilament (angling)"),
    ("G60", "plastic", "Light sticks (tubes with fluid) incl. packaging"),
    ("G62", "plastic", "Floats for fishing nets"),
    ("G63", "plastic", "Buoys"),
    ("G64", "plastic", "Fenders"),
    ("G65", "plastic", "Buckets"),
    ("G66", "plastic", "Strapping bands"),
    ("G67", "plastic", "Sheets, industrial packaging, plastic sheeting"),
    ("G68", "plastic", "Fibre glass/fragments"),
    ("G69", "plastic", "Hard hats/Helmets"),
    ("G70", "plastic", "Shotgun cartridges"),
    ("G71", "plastic", "Shoes/sandals"),
    ("G72", "plastic", "Traffic cones"),
    ("G73", "plastic", "Foam sponge"),
    ("G76", "plastic", "Plastic/polystyrene pieces 2.5 cm > < 50cm"),
    ("G77", "plastic", "Plastic/polystyrene pieces > 50 cm"),
    ("G79", "plastic", "Plastic pieces 2.5 > < 50 cm"),
    ("G80", "plastic", "Plastic pieces > 50 cm"),
    ("G82", "plastic", "Polystyrene pieces 2.5 cm > < 50 cm"),
    ("G83", "plastic", "Polystyrene pieces > 50 cm"),
    ("G84", "plastic", "CD, CD-box"),
    ("G85", "plastic", "Salt packaging"),
    ("G86", "plastic", "Fin trees (from fins for scubadiving)"),
    ("G87", "plastic", "Masking tape"),
    ("G88", "plastic", "Telephone (incl. parts)"),
    ("G89", "plastic", "plastic construction waste"),
    ("G90", "plastic", "Plastic flower pots"),
    ("G91", "plastic", "Biomass holder from sewage treatment plants"),
    ("G92", "plastic", "Bait containers/packaging"),
    ("G93", "plastic", "Cable ties"),
    ("G95", "plastic", "Cotton bud sticks"),
    ("G96", "plastic", "Sanitary towels/panty liners/backing strips"),
    ("G97", "plastic", "Toilet fresheners"),
    ("G98", "plastic", "Diapers/nappies"),
    ("G99", "plastic", "Syringes/needles"),
    ("G100", "plastic", "Medical/Pharmaceuticals containers/tubes"),
    ("G101", "plastic", "Dog feces bag"),
    ("G102", "plastic", "Flip-flops"),
    ("G124", "plastic", "Other plastic/polystyrene items (identifiable)"),
    ("G125", "rubber", "Balloons and balloon sticks"),
    ("G126", "rubber", "Balls"),
    ("G127", "rubber", "Rubber boots"),
    ("G128", "rubber", "Tyres and belts"),
    ("G129", "rubber", "Inner-tubes and rubber sheet"),
    ("G130", "rubber", "Wheels"),
    ("G131", "rubber", "Rubber bands (small, for kitchen/household/post use)"),
    ("G132", "rubber", "Bobbins (fishing)"),
    ("G133", "rubber", "Condoms (incl. packaging)"),
    ("G134", "rubber", "Other rubber pieces"),
    ("G137", "cloth_textile", "Clothing / rags (clothing, hats, towels)"),
    ("G138", "cloth_textile", "Shoes and sandals (e.g. Leather, cloth)"),
    ("G139", "cloth_textile", "Backpacks & bags"),
    ("G140", "cloth_textile", "Sacking (hessian)"),
    ("G141", "cloth_textile", "Carpet & Furnishing"),
    ("G142", "cloth_textile", "Rope, string and nets"),
    ("G143", "cloth_textile", "Sails, canvas"),
    ("G144", "cloth_textile", "Tampons and tampon applicators"),
    ("G145", "cloth_textile", "Other textiles (incl. rags)"),
    ("G147", "paper_cardboard", "Paper bags"),
    ("G148", "paper_cardboard", "Cardboard (boxes & fragments)"),
    ("G150", "paper_cardboard", "Cartons/Tetrapack Milk"),
    ("G151", "paper_cardboard", "Cartons/Tetrapack (others)"),
    ("G152", "paper_cardboard", "Cigarette packets"),
    ("G153", "paper_cardboard", "Cups, food trays, food wrappers, drink containers"),
    ("G154", "paper_cardboard", "Newspapers & magazines"),
    ("G155", "paper_cardboard", "Tubes for fireworks"),
    ("G156", "paper_cardboard", "Paper fragments"),
    ("G158", "paper_cardboard", "Other paper items"),
    ("G159", "processed_wood", "Corks"),
    ("G160", "processed_wood", "Pallets"),
    ("G161", "processed_wood", "Processed timber"),
    ("G162", "processed_wood", "Crates"),
    ("G163", "processed_wood", "Crab/lobster pots"),
    ("G164", "processed_wood", "Fish boxes"),
    ("G165", "processed_wood", "Ice-cream sticks, chip forks, chopsticks & toothpicks"),
    ("G166", "processed_wood", "Paint brushes"),
    ("G167", "processed_wood", "Matches & fireworks"),
    ("G171", "processed_wood", "Other wood < 50 cm"),
    ("G172", "processed_wood", "Other wood > 50 cm"),
    ("G174", "metal", "Aerosol/Spray cans industry"),
    ("G175", "metal", "Cans (bevarage)"),
    ("G176", "metal", "Cans (food)"),
    ("G177", "metal", "Foil wrappers, aluminum foil"),
    ("G178", "metal", "Bottle caps, lids & pull tabs"),
    ("G179", "metal", "Disposable BBQ's"),
    ("G180", "metal", "Appliances (refrigerators, washers, etc.)"),
    ("G181", "metal", "Tableware (plates, cups & cutlery)"),
    ("G182", "metal", "Fishing related (weights, sinkers, lures, hooks)"),
    ("G184", "metal", "Lobster/crab pots"),
    ("G186", "metal", "Industrial scrap"),
    ("G187", "metal", "Drums, e.g. oil"),
    ("G188", "metal", "Other cans (< 4 L)"),
    ("G189", "metal", "Gas bottles, drums & buckets ( > 4 L)"),
    ("G190", "metal", "Paint tin"),
    ("G191", "metal", "Wire, wire mesh, barbed wire"),
    ("G193", "metal", "Car parts / batteries"),
    ("G194", "metal", "Cables"),
    ("G195", "metal", "Household Batteries"),
    ("G198", "metal", "Other metal pieces < 50 cm"),
    ("G199", "metal", "Other metal pieces > 50 cm"),
    ("G200", "glass_ceramics", "Bottles incl. pieces"),
    ("G201", "glass_ceramics", "Jars incl. pieces"),
    ("G202", "glass_ceramics", "Light bulbs"),
    ("G203", "glass_ceramics", "Tableware (plates & cups)"),
    ("G204", "glass_ceramics", "Construction material (brick, cement, pipes)"),
    ("G205", "glass_ceramics", "Fluorescent light tubes"),
    ("G206", "glass_ceramics", "Glass buoys"),
    ("G207", "glass_ceramics", "Octopus pots"),
    ("G208", "glass_ceramics", "Glass or ceramic fragments > 2.5 cm"),
    ("G210", "glass_ceramics", "Other glass items"),
    ("G211", "unidentified", "Other medical items (swabs, bandaging, adhesive plaster etc.)"),
    ("G213", "chemicals", "Paraffin/Wax"),
    ("G301", "cloth_textile", "Disposable mask"),
    ("G302", "cloth_textile", "Disposable glove"),
)
LITTER_ITEMS: tuple[LitterItem, ...] = tuple(LitterItem(c, label, m) for c, m, label in _ITEMS)


@cache
def category_codes(kind: str) -> frozenset[str]:
    """The category codes a report of `kind` may carry (empty for an unknown kind)."""
    if kind == "service":
        return frozenset(c.code for c in SERVICE_CATEGORIES)
    if kind == "litter":
        return frozenset(c.code for c in LITTER_SURVEYS) | litter_materials().keys()
    if kind == "hotspot":
        return frozenset(c.code for c in HOTSPOT_THEMES)
    return frozenset()


@cache
def litter_materials() -> dict[str, str]:
    """Item code to material, e.g. `{"G1": "plastic", ...}`."""
    return {item.code: item.material for item in LITTER_ITEMS}


def taxonomy_document() -> dict[str, object]:
    """The taxonomy as served at `GET /api/v1/taxonomy`.

    `litter` lists the item codes with their material. A litter report's `category` is one of
    `litter_surveys` (what kind of record it is) or, for a single item seen, an item code.
    """
    return {
        "service": [{"code": c.code, "label": c.label} for c in SERVICE_CATEGORIES],
        "litter": [
            {"code": i.code, "label": i.label, "material": i.material} for i in LITTER_ITEMS
        ],
        "litter_surveys": [{"code": c.code, "label": c.label} for c in LITTER_SURVEYS],
        "hotspot": [{"code": c.code, "label": c.label} for c in HOTSPOT_THEMES],
        "materials": list(MATERIALS),
    }
