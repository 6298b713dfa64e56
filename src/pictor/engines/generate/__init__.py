"""Image generation and editing through cloud providers (Gemini, Replicate, OpenAI-compatible).

``base`` holds the ``ImageProvider`` protocol and the request/result types; each provider
module is the only one importing its SDK.
"""
