"""Webhooks: job outcomes POSTed to a URL the client gave, signed per Standard Webhooks."""
