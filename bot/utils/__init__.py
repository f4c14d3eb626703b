"""Helpers shared by the Discord extensions: text safety, replies, errors, rate limits, sync."""
