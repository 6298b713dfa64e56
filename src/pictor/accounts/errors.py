"""Errors of the accounts domain."""

from pictor.errors import Conflict, Unauthorized


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"


class EmailTaken(Conflict):
    code = "email_taken"
