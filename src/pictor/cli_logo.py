"""``pictor logo``: the logo studio run locally, without a server (same code as the job)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def logo(
    name: Annotated[str, typer.Argument(help="The business name (1-60 characters).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write into.")],
    business_type: Annotated[
        str, typer.Option("--type", help="Business type or industry, e.g. bakery.")
    ] = "",
    description: Annotated[str, typer.Option(help="What the business does.")] = "",
    style: Annotated[
        str, typer.Option(help="modern, classic, minimal, playful, bold, elegant, tech, geometric.")
    ] = "modern",
    color: Annotated[
        list[str] | None, typer.Option("--color", help="Preferred colour (repeatable).")
    ] = None,
    variants: Annotated[int, typer.Option("-n", "--variants", help="How many (1-24).")] = 6,
    seed: Annotated[int | None, typer.Option(help="Same seed, same logos.")] = None,
) -> None:
    """Design logos: SVGs, PNGs (512/1024, transparent and on white) and a brand kit ZIP."""
    from pydantic import ValidationError
    from rich.progress import Progress

    from pictor.engines.logo.brandkit import brand_kit, make_variant
    from pictor.engines.logo.designer import ProceduralLogoDesigner
    from pictor.errors import InvalidInput
    from pictor.pipelines.logo import LogoParams

    raw: dict[str, Any] = {
        "business_name": name,
        "business_type": business_type,
        "description": description,
        "style": style,
        "colors": color or [],
        "variants": variants,
        "seed": seed,
    }
    try:
        params = LogoParams.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{field}: {first['msg']}", code="invalid_request") from None
    designer = ProceduralLogoDesigner()
    brief = params.brief()
    output.mkdir(parents=True, exist_ok=True)
    made = []
    with Progress(transient=True) as progress:
        task = progress.add_task("designing", total=params.variants)
        for index in range(params.variants):
            rendered = make_variant(designer, brief, index)
            made.append(rendered)
            stem = output / f"logo-{index + 1}"
            stem.with_suffix(".svg").write_text(rendered.design.svg, encoding="utf-8")
            for png in rendered.pngs:
                (output / f"logo-{index + 1}-{png.name.removeprefix('logo-')}.png").write_bytes(
                    png.data
                )
            progress.update(task, advance=1, description=f"variant {index + 1}/{params.variants}")
            design = rendered.design
            typer.echo(
                f"{stem}.svg  {design.mark}/{design.layout}  palette {design.palette['name']}"
                f"  font {design.fonts[0]['family']} {design.fonts[0]['weight']}"
                f"  contrast {design.contrast:.1f}:1"
            )
    kit = output / "brand-kit.zip"
    kit.write_bytes(brand_kit(brief, made, designer.engine_id))
    typer.echo(f"{kit} (seed {brief.seed}, {designer.engine_id})")
