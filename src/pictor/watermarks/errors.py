"""Errors of the watermark templates domain."""

from pictor.errors import Conflict, Forbidden, InvalidInput, NotFound


class TemplateNotFound(NotFound):
    code = "template_not_found"


class TemplateNameTaken(Conflict):
    code = "template_name_taken"


class BuiltinTemplateReadOnly(Forbidden):
    code = "builtin_template_read_only"


class InvalidTemplate(InvalidInput):
    code = "invalid_template"
