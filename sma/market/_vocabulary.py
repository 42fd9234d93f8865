"""What the fictional universe is made of: GICS sector sizes and industries, ESG tags, name parts.

Data only. Industry names are GICS's; the ESG tags an industry carries, and how often, are
the screens clients ask for (fossil fuels, tobacco, weapons, ...).
"""

from __future__ import annotations

#: Sector sizes of a 500-name large-cap index (roughly the S&P 500's), and a typical beta.
SECTOR_COUNTS = {
    "Communication Services": 23,
    "Consumer Discretionary": 52,
    "Consumer Staples": 38,
    "Energy": 23,
    "Financials": 72,
    "Health Care": 61,
    "Industrials": 77,
    "Information Technology": 68,
    "Materials": 28,
    "Real Estate": 30,
    "Utilities": 28,
}
SECTOR_BETA = {
    "Communication Services": 1.05,
    "Consumer Discretionary": 1.15,
    "Consumer Staples": 0.65,
    "Energy": 1.05,
    "Financials": 1.1,
    "Health Care": 0.8,
    "Industrials": 1.05,
    "Information Technology": 1.25,
    "Materials": 1.0,
    "Real Estate": 0.9,
    "Utilities": 0.55,
}
#: A few GICS industries per sector, with the ESG tags a screen would attach (tag, share of names).
INDUSTRIES: dict[str, tuple[tuple[str, tuple[tuple[str, float], ...]], ...]] = {
    "Communication Services": (
        ("Diversified Telecommunication Services", ()),
        ("Media", ()),
        ("Entertainment", (("gambling", 0.2),)),
        ("Interactive Media & Services", (("controversy", 0.3),)),
    ),
    "Consumer Discretionary": (
        ("Automobiles", ()),
        ("Hotels, Restaurants & Leisure", (("gambling", 0.3),)),
        ("Specialty Retail", ()),
        ("Broadline Retail", ()),
        ("Textiles, Apparel & Luxury Goods", ()),
    ),
    "Consumer Staples": (
        ("Beverages", (("alcohol", 0.5),)),
        ("Food Products", ()),
        ("Tobacco", (("tobacco", 1.0),)),
        ("Household Products", ()),
        ("Consumer Staples Distribution & Retail", ()),
    ),
    "Energy": (
        ("Oil, Gas & Consumable Fuels", (("fossil_fuels", 1.0),)),
        ("Energy Equipment & Services", (("fossil_fuels", 1.0),)),
    ),
    "Financials": (
        ("Banks", ()),
        ("Capital Markets", ()),
        ("Insurance", ()),
        ("Financial Services", ()),
        ("Consumer Finance", ()),
    ),
    "Health Care": (
        ("Pharmaceuticals", ()),
        ("Biotechnology", ()),
        ("Health Care Equipment & Supplies", ()),
        ("Health Care Providers & Services", ()),
        ("Life Sciences Tools & Services", ()),
    ),
    "Industrials": (
        ("Aerospace & Defense", (("weapons", 0.6),)),
        ("Machinery", ()),
        ("Ground Transportation", ()),
        ("Building Products", ()),
        ("Professional Services", ()),
        ("Electrical Equipment", (("low_carbon", 0.4),)),
    ),
    "Information Technology": (
        ("Software", (("low_carbon", 0.3),)),
        ("Semiconductors & Semiconductor Equipment", ()),
        ("Technology Hardware, Storage & Peripherals", ()),
        ("IT Services", (("low_carbon", 0.3),)),
        ("Electronic Equipment, Instruments & Components", ()),
    ),
    "Materials": (
        ("Chemicals", (("fossil_fuels", 0.2),)),
        ("Metals & Mining", (("fossil_fuels", 0.3),)),
        ("Containers & Packaging", ()),
        ("Construction Materials", ()),
    ),
    "Real Estate": (
        ("Specialized REITs", ()),
        ("Residential REITs", ()),
        ("Industrial REITs", ()),
        ("Real Estate Management & Development", ()),
    ),
    "Utilities": (
        ("Electric Utilities", (("fossil_fuels", 0.4), ("low_carbon", 0.3))),
        ("Multi-Utilities", (("fossil_fuels", 0.5),)),
        ("Gas Utilities", (("fossil_fuels", 1.0),)),
        ("Independent Power and Renewable Electricity Producers", (("low_carbon", 0.8),)),
    ),
}
ESG_TAGS = (
    "alcohol",
    "controversy",
    "fossil_fuels",
    "gambling",
    "low_carbon",
    "tobacco",
    "weapons",
)
#: Style factors every security is exposed to (standardised scores).
STYLES = ("size", "value", "momentum")

# fmt: off
NAME_STEMS = (
    "Alder", "Amber", "Apex", "Arbor", "Argent", "Aster", "Atlas", "Aurora", "Basalt", "Beacon",
    "Birch", "Bluefield", "Boreal", "Brightwater", "Cairn", "Calder", "Canyon", "Cascade",
    "Cedar", "Clearwater", "Cobalt", "Copperline", "Coral", "Crestview", "Cypress", "Delta",
    "Driftwood", "Eastgate", "Ember", "Evergreen", "Fairhaven", "Falcon", "Fernwood",
    "Fieldstone", "Flint", "Foxglove", "Garnet", "Glacier", "Granite", "Greyhawk", "Halcyon",
    "Harbor", "Hawthorn", "Heron", "Highland", "Horizon", "Ironwood", "Juniper", "Keystone",
    "Kestrel", "Lakeshore", "Larkspur", "Linden", "Lodestar", "Magnolia", "Maple", "Meridian",
    "Mesa", "Midland", "Northwind", "Oakmont", "Obsidian", "Orchard", "Osprey", "Pacifica",
    "Palisade", "Pinecrest", "Pioneer", "Prairie", "Quarry", "Quartz", "Redwood", "Ridgeline",
    "Riverbend", "Rockport", "Saffron", "Sagebrush", "Sandstone", "Sequoia", "Sierra",
    "Silverleaf", "Skyline", "Sparrow", "Spruce", "Starling", "Stonebridge", "Summit", "Sycamore",
    "Tamarack", "Thornbury", "Timber", "Topaz", "Trillium", "Tundra", "Upland", "Valley",
    "Vantage", "Verdant", "Westbrook", "Willow",
)
# fmt: on
NAME_SUFFIXES = {
    "Communication Services": ("Media", "Communications", "Networks", "Studios", "Telecom"),
    "Consumer Discretionary": ("Brands", "Motors", "Retail", "Resorts", "Outfitters"),
    "Consumer Staples": ("Foods", "Beverage", "Household", "Farms", "Grocers"),
    "Energy": ("Petroleum", "Energy", "Drilling", "Midstream", "Oilfield"),
    "Financials": ("Bancorp", "Financial", "Capital", "Insurance", "Trust"),
    "Health Care": ("Therapeutics", "Medical", "Health", "Biosciences", "Pharma"),
    "Industrials": ("Industries", "Aerospace", "Machinery", "Logistics", "Systems"),
    "Information Technology": ("Software", "Semiconductor", "Technologies", "Systems", "Digital"),
    "Materials": ("Chemicals", "Materials", "Mining", "Packaging", "Minerals"),
    "Real Estate": ("Realty", "Properties", "REIT", "Land", "Estates"),
    "Utilities": ("Power", "Electric", "Utilities", "Gas", "Water"),
}
LEGAL_FORMS = ("Inc.", "Corp.", "Holdings", "Group", "Co.")
