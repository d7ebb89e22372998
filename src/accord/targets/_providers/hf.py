"""``hf:<path-or-name>``: a local Hugging Face transformers model, run in-process.

Needs the optional extra ``accord[hf]`` (torch + transformers); both are imported only when
such a target is created, so every other command starts without them. Nothing is ever
downloaded: the model is read from a local directory, or from the local Hugging Face cache
when given a hub name (``HF_HUB_OFFLINE=1``, ``local_files_only=True``). Repositories that
need custom code are refused (``trust_remote_code`` stays off): loading a model under test
must not run code shipped with it.

Generation runs on one dedicated worker thread, so the event loop stays free for the runner
and the store while the model computes; requests are served one at a time, in order (a
local model is bound by its own compute, and one thread keeps torch's global RNG, used for
seeded sampling, deterministic).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from accord.errors import AccordError, MissingDependencyError
from accord.records import ErrorKind, Message
from accord.targets._target import Completion, GenParams, RequestContext, TargetError, TargetSpec

KNOWN_OPTIONS = ("device", "dtype")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_CHUNK = 1 << 20


def _import_backend() -> tuple[Any, Any]:
    """torch and transformers, imported on first use with downloads switched off."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # read by huggingface_hub at import time
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependencyError("local Hugging Face models", "hf", exc.name or "torch") from exc
    return torch, transformers


def digest_model_dir(directory: Path) -> str:
    """``sha256:`` over the model directory's manifest, binding a run to the exact files.

    The manifest has one line per regular file, sorted by relative POSIX path:
    ``<sha256 of content>  <relative path>\\n`` (the format of ``sha256sum``); entries whose
    path has a component starting with ``.`` (``.cache``, ``.git``) are skipped. Symlinks
    (as in the Hugging Face cache) are followed. The same value comes from
    ``cd DIR && find -L . -type f ! -path '*/.*' -printf '%P\\0' | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum``.
    """
    files = sorted(
        (p.relative_to(directory).as_posix(), p)
        for p in directory.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )
    manifest = hashlib.sha256()
    for rel, path in files:
        content = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                content.update(chunk)
        manifest.update(f"{content.hexdigest()}  {rel}\n".encode())
    return "sha256:" + manifest.hexdigest()


def resolve_model_dir(name: str) -> Path:
    """A local directory for ``name``: the path itself, or the hub name's cached snapshot."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():  # say so before torch spends seconds failing on it
            raise AccordError(
                f"hf target '{name}' has no config.json: not a transformers model directory",
                fix="pass the directory that holds config.json, the weights and the tokenizer",
            )
        return path.resolve()
    if path.exists():
        raise AccordError(
            f"hf target '{name}' is a file, not a model directory",
            fix="pass the directory that holds config.json and the weights",
        )
    if not _HUB_ID.match(name):
        raise AccordError(f"hf target: no such model directory '{name}'", fix="check the path")
    _import_backend()
    from huggingface_hub import snapshot_download  # a dependency of transformers

    try:
        return Path(str(snapshot_download(name, local_files_only=True))).resolve()
    except Exception as exc:
        raise AccordError(
            f"hf target '{name}' is neither a local directory nor in the local Hugging Face cache",
            why="accord never downloads models while evaluating",
            fix=f"download it first (e.g. `huggingface-cli download {name}`) or pass a directory path",
        ) from exc


def render_fallback(messages: list[Message]) -> str:
    """The prompt for tokenizers without a chat template: ``Role: content`` blocks.

    Each turn becomes ``System: …``, ``User: …`` or ``Assistant: …`` followed by a blank
    line, and the prompt ends with ``Assistant:`` for the model to continue.
    """
    turns = [f"{m.role.capitalize()}: {m.content}\n\n" for m in messages]
    return "".join(turns) + "Assistant:"


class HFTarget:
    """A transformers causal LM loaded from local files; see the module docstring."""

    def __init__(self, spec: TargetSpec, directory: Path, *, device: str | None = None, dtype: str | None = None) -> None:
        self.spec = spec
        self.directory = directory
        self._digest: str | None = None
        torch, transformers = _import_backend()
        self._torch = torch
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        transformers.utils.logging.disable_progress_bar()  # the runner draws its own progress
        try:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(directory, local_files_only=True)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                directory, local_files_only=True, dtype=dtype or "auto"
            )
        except (OSError, ValueError, KeyError) as exc:
            raise AccordError(
                f"cannot load hf model from {directory}",
                why=f"{type(exc).__name__}: {exc}",
                fix="point hf: at a transformers causal-LM directory (config.json, weights, tokenizer)",
            ) from exc
        self._model = model.to(device).eval()
        self._device = device
        self._has_template = bool(getattr(self._tokenizer, "chat_template", None))
        eos = self._model.generation_config.eos_token_id
        if eos is None:
            eos = self._tokenizer.eos_token_id
        self._eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self._pad_id = self._tokenizer.pad_token_id
        if self._pad_id is None:
            self._pad_id = next(iter(self._eos_ids), None)
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accord-hf")

    def digest(self) -> str:
        """sha256 over the model files (see ``digest_model_dir``), computed once."""
        if self._digest is None:
            self._digest = digest_model_dir(self.directory)
        return self._digest

    async def generate(
        self, messages: list[Message], params: GenParams, *, context: RequestContext | None = None
    ) -> Completion:
        if self._executor is None:
            raise TargetError(ErrorKind.internal, "hf target is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._generate_sync, list(messages), params)
        except TargetError:
            raise
        except Exception as exc:  # a torch/transformers failure on this input, e.g. too long
            raise TargetError(ErrorKind.internal, f"{type(exc).__name__}: {exc}") from exc

    def prompt(self, messages: list[Message]) -> str:
        """The exact text fed to the tokenizer: the chat template if any, else the fallback."""
        if self._has_template:
            rendered = self._tokenizer.apply_chat_template(
                [m.model_dump() for m in messages], tokenize=False, add_generation_prompt=True
            )
            return str(rendered)
        return render_fallback(messages)

    def _generate_sync(self, messages: list[Message], params: GenParams) -> Completion:
        torch = self._torch
        # A chat template already writes any BOS token; the fallback relies on the tokenizer's.
        enc = self._tokenizer(
            self.prompt(messages), return_tensors="pt", add_special_tokens=not self._has_template
        ).to(self._device)
        n_in = int(enc["input_ids"].shape[1])
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_tokens,
            "max_time": params.timeout_s,
            "pad_token_id": self._pad_id,
        }
        if params.temperature == 0:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            # Only our parameters shape sampling: the checkpoint's own top_k/top_p defaults are off.
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p, top_k=None)
            if params.seed is not None:
                torch.manual_seed(params.seed)  # safe: this is the only thread that samples
        with torch.inference_mode():
            out = self._model.generate(**enc, **kwargs)
        new = out[0, n_in:].tolist()
        stop_at = next((i for i, t in enumerate(new) if t in self._eos_ids), None)
        if stop_at is not None:
            new, finish = new[: stop_at + 1], "stop"
        elif len(new) >= params.max_tokens:
            finish = "length"
        else:
            finish = "time"  # generation hit max_time (params.timeout_s)
        text = self._tokenizer.decode(new, skip_special_tokens=True)
        return Completion(text=text, finish_reason=finish, input_tokens=n_in, output_tokens=len(new))

    async def aclose(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def display_name(spec: TargetSpec) -> str:
    """The directory's (or hub name's) last part: ``hf:/path/to/SmolLM2`` -> ``SmolLM2``."""
    return spec.model.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or spec.model


def create(spec: TargetSpec, **options: Any) -> HFTarget:
    """Load ``hf:<path-or-name>``. Options (from the spec or the caller): ``device``, ``dtype``."""
    merged = {**spec.options, **{k: v for k, v in options.items() if v is not None}}
    unknown = sorted(set(merged) - set(KNOWN_OPTIONS))
    if unknown:
        raise AccordError(
            f"hf target does not take option(s) {', '.join(unknown)}", fix="known: " + ", ".join(KNOWN_OPTIONS)
        )
    _import_backend()  # a missing extra is reported before anything else
    directory = resolve_model_dir(spec.model)
    return HFTarget(spec, directory, device=merged.get("device"), dtype=merged.get("dtype"))
