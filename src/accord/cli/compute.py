"""``accord compute``: training-compute estimates and ECCN 3A090 TPP.

Markdown on stdout by default; ``--json`` prints the same result as one JSON document (the
flag every command shares; ``--format`` is only for documents written to a file).
"""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli._common import JsonOption

app = typer.Typer(no_args_is_help=True, help="Training-compute and export-control calculators.")

def _utilisation(value: str | None) -> tuple[float, float] | None:
    from accord.errors import InputError

    if value is None:
        return None
    try:
        parts = [float(x) for x in value.replace(":", "-").split("-")]
    except ValueError:
        raise InputError("not a utilisation", field="--utilization", expected="a fraction like 0.4 or a range 0.3-0.5", got=value) from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not (0 < parts[0] <= parts[1] <= 1):
        raise InputError("utilisation out of range", field="--utilization", expected="0 < low <= high <= 1", got=value)
    return parts[0], parts[1]


@app.command("estimate")
def estimate(
    params: Annotated[float | None, typer.Option("--params", help="Parameters N (active parameters for MoE), e.g. 7e10.")] = None,
    tokens: Annotated[float | None, typer.Option("--tokens", help="Training tokens D, e.g. 1.5e13.")] = None,
    gpus: Annotated[int | None, typer.Option("--gpus", help="Number of accelerators.")] = None,
    gpu_type: Annotated[str | None, typer.Option("--gpu-type", help="Accelerator (see 'accord compute chips'), e.g. H100.")] = None,
    days: Annotated[float | None, typer.Option("--days", help="Training days (wall clock).")] = None,
    utilization: Annotated[str | None, typer.Option("--utilization", help="MFU, e.g. 0.4, or a range 0.3-0.5 (default range 0.3-0.5).")] = None,
    precision: Annotated[str, typer.Option("--precision", help="Training precision: bf16, fp16, fp8, tf32 ...")] = "bf16",
    as_json: JsonOption = False,
) -> None:
    """Estimate training FLOP (6ND, or GPUs x peak x time x utilisation) and the thresholds crossed."""
    import json

    from accord.errors import InputError
    from accord.regulation import (
        crossings,
        estimate_dict,
        estimate_from_hardware,
        estimate_from_params,
        estimate_markdown,
        find_chip,
        load_compute_spec,
    )

    by_params = params is not None or tokens is not None
    by_hw = any(v is not None for v in (gpus, gpu_type, days))
    if by_params == by_hw:
        raise InputError(
            "give either --params and --tokens, or --gpus, --gpu-type and --days",
            fix="e.g. accord compute estimate --params 7e10 --tokens 1.5e13",
        )
    try:
        if by_params:
            if params is None or tokens is None:
                raise InputError("6ND needs both values", field="--params/--tokens", expected="both --params and --tokens")
            est = estimate_from_params(params, tokens)
        else:
            if gpus is None or gpu_type is None or days is None:
                raise InputError("hardware estimate needs --gpus, --gpu-type and --days", field="--gpus/--gpu-type/--days")
            est = estimate_from_hardware(gpus, find_chip(gpu_type), days, _utilisation(utilization), precision)
    except InputError:
        raise
    except ValueError as exc:  # the estimators' own range checks
        raise InputError(str(exc)) from None
    cross = crossings(est, load_compute_spec()["training_thresholds"])
    if as_json:
        typer.echo(json.dumps(estimate_dict(est, cross), indent=2))
    else:
        typer.echo(estimate_markdown(est, cross), nl=False)


@app.command("tpp")
def tpp(
    chip: Annotated[str | None, typer.Option("--chip", help="Accelerator from the table, e.g. H100, A100, H20.")] = None,
    tops: Annotated[float | None, typer.Option("--tops", help="Peak dense TOPS/TFLOPS at --bits.")] = None,
    bits: Annotated[int | None, typer.Option("--bits", help="Bit length of the operation for --tops.")] = None,
    die_area: Annotated[float | None, typer.Option("--die-area", help="Applicable die area in mm² (for performance density).")] = None,
    memory_bandwidth: Annotated[float | None, typer.Option("--memory-bandwidth", help="DRAM bandwidth in GB/s.")] = None,
    non_datacenter: Annotated[bool, typer.Option("--non-datacenter", help="Not designed or marketed for datacenters.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Total Processing Performance and performance density against ECCN 3A090."""
    import json

    from accord.errors import InputError
    from accord.regulation import chip_tpp, classify_3a090, find_chip, load_compute_spec, load_hardware, tpp_dict, tpp_markdown

    for flag, v in (("--die-area", die_area), ("--memory-bandwidth", memory_bandwidth)):
        if v is not None and v <= 0:
            raise InputError("must be positive", field=flag, expected="a number > 0", got=v)
    spec = load_compute_spec()["eccn_3a090"]
    if (chip is None) == (tops is None):
        raise InputError("give either --chip NAME, or --tops X --bits B", fix="see 'accord compute chips' for names")
    if chip is not None:
        c = find_chip(chip)
        value, basis = chip_tpp(c, load_hardware()[0])
        area = die_area if die_area is not None else c.die_area_mm2
        bw = memory_bandwidth if memory_bandwidth is not None else c.memory_bandwidth_gbs
        name = f"{c.name} (table conf {c.conf})"
    else:
        if bits is None or bits <= 0 or tops is None or tops <= 0:
            raise InputError("TPP needs positive --tops and --bits", field="--bits", expected="a positive bit length, e.g. 8", got=bits)
        value, basis, area, bw, name = tops * bits, f"{tops:g} TOPS x {bits} bits", die_area, memory_bandwidth, "custom chip"
    result = classify_3a090(name, value, basis, area, bw, not non_datacenter, spec)
    source = f"{spec['source']}; conf {spec['conf']}"
    if as_json:
        typer.echo(json.dumps({**tpp_dict(result), "source": source}, indent=2))
    else:
        typer.echo(tpp_markdown(result, source), nl=False)


@app.command("chips")
def chips(as_json: JsonOption = False) -> None:
    """The accelerator table: peak dense TFLOP/s by precision, die area, source."""
    from accord.regulation import load_hardware

    _, table = load_hardware()
    if as_json:
        import json

        doc = [
            {
                "id": c.id,
                "name": c.name,
                "tflops": dict(c.tflops),
                "die_area_mm2": c.die_area_mm2,
                "memory_bandwidth_gbs": c.memory_bandwidth_gbs,
                "datacenter": c.datacenter,
                "conf": c.conf,
                "source": c.source,
            }
            for c in table
        ]
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for c in table:
        peaks = ", ".join(f"{k} {v:g}" for k, v in c.tflops.items())
        area = f"{c.die_area_mm2:g} mm²" if c.die_area_mm2 else "area n/a"
        typer.echo(f"{c.id:10} {c.name:24} {peaks}; {area}; [{c.conf}] {c.source}")
