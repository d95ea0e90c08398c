"""Stand-in for the FLAME SDK patterns package, used by the Hub simulator (see flame/star.py)."""
