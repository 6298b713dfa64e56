"""/v1/watermark-templates: register a mark from a capture on black; list, get, delete."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.multipart import MalformedForm, StreamingForm
from pictor.engines.inpaint.templates import Corner
from pictor.errors import InvalidInput
from pictor.images.errors import FileTooLarge
from pictor.watermarks.export import TemplateFile
from pictor.watermarks.schemas import PlacementRule, WatermarkTemplateList, WatermarkTemplateOut
from pictor.watermarks.service import TemplateService, to_file, to_out

router = APIRouter(prefix="/v1/watermark-templates", tags=["watermark templates"])
_CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left")
_PLACEMENTS = TypeAdapter(list[PlacementRule])
TemplateId = Annotated[str, Path(max_length=80)]


def _int_field(fields: dict[str, str], name: str) -> int | None:
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number of px", field=name) from None
    if not 0 <= value <= 10_000:
        raise InvalidInput(f"{name} must be 0 to 10000 px", field=name)
    return value


def _placements(raw: str | None) -> list[PlacementRule] | None:
    if not raw:
        return None
    try:
        rules = _PLACEMENTS.validate_python(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise InvalidInput(
            f"placements: not a list of placement rules ({exc})", field="placements"
        ) from None
    if not rules:
        raise InvalidInput("placements: give at least one rule", field="placements")
    return rules


async def _read_capture(form: StreamingForm, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in form.file_chunks():
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(f"the capture is over {max_bytes} bytes", field="file")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "",
    status_code=201,
    response_model=WatermarkTemplateOut,
    summary="Register a watermark template from a capture of the mark on black",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "name"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "name": {"type": "string"},
                            "logo_color": {"type": "string", "default": "#ffffff"},
                            "corner": {"type": "string", "enum": list(_CORNERS)},
                            "margin_x": {"type": "integer"},
                            "margin_y": {"type": "integer"},
                            "placements": {"type": "string", "description": "JSON list"},
                        },
                    }
                }
            },
            "required": True,
        }
    },
)
async def create_template(
    request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> WatermarkTemplateOut:
    """The capture is the mark alone on a black image (a full frame or cropped to it)."""
    form = StreamingForm(request)
    if not await form.start_file():
        raise MalformedForm("the form has no `file` field (the capture)", field="file")
    capture = await _read_capture(form, runtime.image_limits.max_bytes)
    fields = form.fields
    corner = fields.get("corner", "bottom-right").strip() or "bottom-right"
    if corner not in _CORNERS:
        raise InvalidInput(f"corner must be one of {', '.join(_CORNERS)}", field="corner")
    # A mark can be small: the usual minimum side of uploads does not apply to captures.
    limits = dataclasses.replace(runtime.image_limits, min_side=4)
    args: dict[str, Any] = {
        "name": fields.get("name", ""),
        "capture": capture,
        "limits": limits,
        "logo_color": fields.get("logo_color", "#ffffff").strip() or "#ffffff",
        "corner": cast(Corner, corner),
        "margin_x": _int_field(fields, "margin_x"),
        "margin_y": _int_field(fields, "margin_y"),
        "placements": _placements(fields.get("placements")),
    }
    async with runtime.db.session() as session:
        row = await TemplateService(session).register(principal.user_id, **args)
        return to_out(row)


@router.get("", response_model=WatermarkTemplateList, summary="List templates you can use")
async def list_templates(runtime: RuntimeDep, principal: PrincipalDep) -> WatermarkTemplateList:
    """The built-in templates and your own."""
    async with runtime.db.read_session() as session:
        rows = await TemplateService(session).visible_to(principal.user_id)
    return WatermarkTemplateList(data=[to_out(row) for row in rows])


@router.get("/{template_id}", response_model=WatermarkTemplateOut, summary="Get a template")
async def get_template(
    template_id: TemplateId, runtime: RuntimeDep, principal: PrincipalDep
) -> WatermarkTemplateOut:
    """By id or by name; another user's template is not found."""
    async with runtime.db.read_session() as session:
        row = await TemplateService(session).find(principal.user_id, template_id)
    return to_out(row)


@router.get(
    "/{template_id}/export",
    response_model=TemplateFile,
    summary="Download a template as a file (for `pictor remove-watermark --template-file`)",
)
async def export_template(
    template_id: TemplateId, runtime: RuntimeDep, principal: PrincipalDep
) -> JSONResponse:
    """The alpha map (16-bit PNG, base64), logo colour, corner and placement rules."""
    async with runtime.db.read_session() as session:
        row = await TemplateService(session).find(principal.user_id, template_id)
    disposition = f'attachment; filename="{row.name}.json"'
    return JSONResponse(to_file(row).model_dump(), headers={"Content-Disposition": disposition})


@router.delete("/{template_id}", status_code=204, summary="Delete one of your templates")
async def delete_template(
    template_id: TemplateId, runtime: RuntimeDep, principal: PrincipalDep
) -> Response:
    async with runtime.db.session() as session:
        await TemplateService(session).delete(principal.user_id, template_id)
    return Response(status_code=204)
