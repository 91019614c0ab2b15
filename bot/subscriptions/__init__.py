"""Subscriptions and areas: who gets warnings for which neighbourhood."""
