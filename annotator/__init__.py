"""annotator: label Arabic entities and claims in the terminal."""
__version__ = "0.1.0"
