"""Coverage gaps: official facility lists, distances to the nearest one, demand, the answer."""
