"""Keyword alerts: rules, matching, alert events, and their delivery (messages and channels)."""
