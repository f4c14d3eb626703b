"""The answer pipeline's two models and their provenance (see README.md here); data, not code."""
