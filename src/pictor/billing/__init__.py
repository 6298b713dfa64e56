"""Payments through Stripe Checkout: credit packs, verified webhooks."""
