"""Pages for people: maps, the volunteer page, scorecards (folium, Jinja)."""
