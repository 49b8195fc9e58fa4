"""The check registry: built-in checks register with a decorator, third parties through entry points.

A check is a small object with a stable ``name`` (``record.date``), a stable finding ``code`` prefix
(``RECORD_DATE``), one finding ``kind`` from :data:`imrassist.models.KINDS`, the ``targets`` it reads
(``"record"``, ``"letter"``, ``"explanation"``) and a ``severity`` note (its documented severity rules).
Its ``run(ctx)`` yields :class:`~imrassist.models.Finding` objects; a function check gets an ``emit``
helper that fills in the code prefix, kind and check name, so a check cannot mislabel its findings::

    from imrassist.checks.registry import register

    @register("acme.no_shouting", code="ACME_SHOUTING", kind="readability", targets=("explanation",),
              severity="warning when more than a third of the letters are capitals")
    def no_shouting(ctx, emit):
        text = ctx.explanation or ""
        if sum(c.isupper() for c in text) * 3 > len(text):
            yield emit("CAPS", "warning", "explanation", "the explanation shouts")

A plugin package exposes its checks in the entry-point group ``imrassist.checks`` (the value may be a
check, a class of check, a list of checks, or a module whose import registers them)::

    [project.entry-points."imrassist.checks"]
    acme = "acme_imr.checks:no_shouting"

Entry points are loaded once, lazily, on the first :func:`imrassist.checks.check` call. A plugin that
fails to load, or raises while it runs, never crashes a check: the report carries one ``warning``
finding (code ``CHECKS_PLUGIN_BROKEN`` / ``CHECKS_CHECK_FAILED``, kind ``consistency``) naming it.
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ..letter import Letter
from ..models import KINDS, CaseRecord, Finding

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "imrassist.checks"
TARGETS = ("record", "letter", "explanation")
Span = tuple[int, int]


# ---------------------------------------------------------------------------------------------- context


@dataclass
class CheckContext:
    """What a check reads. ``reference`` is the rules extractor's record of the same letter (what the
    letter says); ``record`` is the record under check, if any; ``explanation`` the text under check."""

    letter: Letter
    reference: CaseRecord
    record: CaseRecord | None = None
    explanation: str | None = None
    lang: str = "en"
    #: What the explanation is: ``"worker"`` (the plain-language letter for the injured worker: every
    #: element DESIGN.md asks of it) or ``"summary"`` (the terse reviewer summary: checked for its facts,
    #: not for the worker-only elements: appeal right, next steps, reading grade).
    explanation_kind: str = "worker"
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """A value computed once per check run and shared between checks (e.g. the letter facts)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    @property
    def facts(self) -> Any:
        from .facts import facts_for

        return self.memo("facts", lambda: facts_for(self.letter, self.reference))


#: The memo of the check run in progress (:func:`imrassist.checks.check` sets it for the length of the
#: run), for helpers deep in the checks that have no CheckContext at hand (see :func:`per_call`).
_RUN_MEMO: ContextVar[dict[Any, Any] | None] = ContextVar("imrassist_check_run_memo", default=None)


def per_call(key: Any, make: Callable[[], Any]) -> Any:
    """``make()``, computed once per check run (keyed by ``key``), or every time outside a run.

    For values worth sharing between the checks of one run that hang off objects the run holds (the
    letter facts' items, say): kept in the run's memo rather than in a module-level cache, they are gone
    when the run ends, so a batch of thousands of letters holds none of them. Keys built from ``id()``
    are safe because the objects they name live as long as the run."""
    memo = _RUN_MEMO.get()
    if memo is None:
        return make()
    try:
        return memo[key]
    except KeyError:
        value = memo[key] = make()
        return value


# ------------------------------------------------------------------------------------------------ checks


class Check:
    """Base class of a check. Subclasses set the class attributes and implement :meth:`run`."""

    name: str = ""
    code: str = ""
    kind: str = "consistency"
    targets: tuple[str, ...] = ()
    severity: str = ""
    description: str = ""

    def run(self, ctx: CheckContext) -> Iterable[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finding(
        self,
        suffix: str,
        severity: str,
        field: str,
        message: str,
        *,
        found: Any = None,
        expected: Any = None,
        span: Span | None = None,
        explanation_span: Span | None = None,
    ) -> Finding:
        """A finding of this check: code ``<PREFIX>_<SUFFIX>``, this check's kind and name."""
        code = f"{self.code}_{suffix}" if suffix else self.code
        return Finding(
            code=code,
            kind=self.kind,  # type: ignore[arg-type]
            severity=severity,  # type: ignore[arg-type]
            field=field,
            message=message,
            found=None if found is None else str(found),
            expected=None if expected is None else str(expected),
            span=tuple(span) if span else None,  # type: ignore[arg-type]
            explanation_span=tuple(explanation_span) if explanation_span else None,  # type: ignore[arg-type]
            check=self.name,
        )

    def validate(self) -> None:
        if not self.name or not self.code:
            raise ValueError("a check needs a name and a code prefix")
        if self.kind not in KINDS:
            raise ValueError(f"check {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        bad = [t for t in self.targets if t not in TARGETS]
        if not self.targets or bad:
            raise ValueError(f"check {self.name}: targets must be a non-empty subset of {TARGETS}")

    def __repr__(self) -> str:
        return f"<check {self.name} {self.code} {self.kind} {self.targets}>"


class FunctionCheck(Check):
    """A check made from a generator function ``fn(ctx, emit)``; ``emit`` is :meth:`Check.finding`."""

    def __init__(self, fn: Callable[..., Iterable[Finding] | None], *, name: str, code: str, kind: str,
                 targets: Iterable[str], severity: str = "", description: str = ""):
        self.fn = fn
        self.name = name
        self.code = code
        self.kind = kind
        self.targets = tuple(targets)
        self.severity = severity
        self.description = description or (fn.__doc__ or "").strip().split("\n\n")[0]
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        return self.fn(ctx, self.finding) or ()

    def __call__(self, ctx: CheckContext) -> list[Finding]:
        return list(self.run(ctx))


# ---------------------------------------------------------------------------------------------- registry


@dataclass
class PluginProblem:
    name: str
    message: str


class Registry:
    """Named checks, built-in and from entry points."""

    def __init__(self, *, entry_point_group: str | None = ENTRY_POINT_GROUP):
        self._checks: dict[str, Check] = {}
        self._plugin_names: set[str] = set()
        self._group = entry_point_group
        self._loaded = entry_point_group is None
        self._lock = threading.RLock()
        self.problems: list[PluginProblem] = []

    # -- registration ----------------------------------------------------------------------------------

    def add(self, check: Check, *, replace: bool = False) -> Check:
        check.validate()
        with self._lock:
            existing = self._checks.get(check.name)
            if existing is not None and existing is not check and not replace:
                raise ValueError(f"a check named {check.name!r} is already registered")
            self._checks[check.name] = check
        return check

    def remove(self, name: str) -> None:
        with self._lock:
            self._checks.pop(name, None)
            self._plugin_names.discard(name)

    def register(self, name: str, *, code: str, kind: str, targets: Iterable[str], severity: str = "",
                 description: str = "", replace: bool = False) -> Callable[[Callable[..., Any]], FunctionCheck]:
        """Decorator: register ``fn(ctx, emit)`` as a check and return the check object."""

        def deco(fn: Callable[..., Any]) -> FunctionCheck:
            chk = FunctionCheck(fn, name=name, code=code, kind=kind, targets=targets, severity=severity,
                                description=description)
            self.add(chk, replace=replace)
            return chk

        return deco

    # -- plugins ---------------------------------------------------------------------------------------

    def load_plugins(self, *, force: bool = False) -> None:
        """Load the entry-point group once (again with ``force``, e.g. after installing a plugin)."""
        with self._lock:
            if self._loaded and not force:
                return
            for name in list(self._plugin_names):
                self._checks.pop(name, None)
            self._plugin_names.clear()
            self.problems = []
            self._loaded = True
            if not self._group:
                return
            from importlib.metadata import entry_points

            try:
                eps = list(entry_points(group=self._group))
            except Exception as exc:  # noqa: BLE001 - a broken distribution on sys.path
                self.problems.append(PluginProblem("<entry points>", f"cannot list entry points: {exc}"))
                return
            seen: set[str] = set()
            for ep in eps:
                if ep.value in seen:
                    continue
                seen.add(ep.value)
                label = f"{ep.name} = {ep.value}"
                before = set(self._checks)
                try:
                    obj = ep.load()
                    added = self._adopt(obj)
                except Exception as exc:  # noqa: BLE001 - any plugin error becomes a finding
                    log.warning("imrassist check plugin %s failed to load: %s", label, exc)
                    self.problems.append(PluginProblem(label, f"{type(exc).__name__}: {exc}"))
                    continue
                new = (set(self._checks) - before) | added
                if not new:
                    self.problems.append(PluginProblem(label, "it provides no check"))
                self._plugin_names |= new

    def _adopt(self, obj: Any) -> set[str]:
        """Register what an entry point gave: a check, a check class, a list of them, or a module."""
        import inspect
        import types

        if isinstance(obj, types.ModuleType):
            return set()  # importing it registered its checks with the decorator
        if isinstance(obj, (list, tuple)):
            names: set[str] = set()
            for o in obj:
                names |= self._adopt(o)
            return names
        if inspect.isclass(obj) and issubclass(obj, Check):
            obj = obj()
        if isinstance(obj, Check):
            if self._checks.get(obj.name) is not obj:
                self.add(obj)
            return {obj.name}
        raise TypeError(f"not a check: {type(obj).__name__} (use the @register decorator or subclass Check)")

    # -- queries ---------------------------------------------------------------------------------------

    def checks(self, targets: Iterable[str] | None = None) -> list[Check]:
        self.load_plugins()
        with self._lock:
            all_checks = list(self._checks.values())
        if targets is None:
            return all_checks
        wanted = set(targets)
        return [c for c in all_checks if wanted & set(c.targets)]

    def get(self, name: str) -> Check:
        self.load_plugins()
        return self._checks[name]

    def names(self) -> list[str]:
        return [c.name for c in self.checks()]

    def is_plugin(self, name: str) -> bool:
        return name in self._plugin_names

    # -- running ---------------------------------------------------------------------------------------

    def run(self, ctx: CheckContext, targets: Iterable[str], *, strict: bool = False) -> list[Finding]:
        """Run every check that reads one of ``targets``. A check that raises (or yields something that is
        not a Finding) gives one warning finding instead of crashing the run, unless ``strict``."""
        token = _RUN_MEMO.set(ctx._memo)  # per_call() memoises into this run's context
        try:
            return self._run(ctx, targets, strict=strict)
        finally:
            _RUN_MEMO.reset(token)

    def _run(self, ctx: CheckContext, targets: Iterable[str], *, strict: bool) -> list[Finding]:
        findings: list[Finding] = []
        for p in self.problems:
            findings.append(_meta_finding("CHECKS_PLUGIN_BROKEN", p.name, f"check plugin {p.name} is broken: {p.message}"))
        for chk in self.checks(targets):
            try:
                for f in _iterate(chk.run(ctx)):
                    if not isinstance(f, Finding):
                        raise TypeError(f"yielded {type(f).__name__}, not a Finding")
                    if f.check is None:
                        f = f.model_copy(update={"check": chk.name})
                    findings.append(f)
            except Exception as exc:  # noqa: BLE001
                if strict:
                    raise
                log.warning("check %s failed: %s", chk.name, exc, exc_info=True)
                who = "plugin" if self.is_plugin(chk.name) else "built-in"
                findings.append(_meta_finding("CHECKS_CHECK_FAILED", chk.name,
                                              f"{who} check {chk.name} failed and was skipped: {type(exc).__name__}: {exc}"))
        return findings


def _iterate(result: Iterable[Finding] | None) -> Iterator[Finding]:
    if result is None:
        return iter(())
    if isinstance(result, Finding):
        return iter((result,))
    return iter(result)


def _meta_finding(code: str, name: str, message: str) -> Finding:
    return Finding(code=code, kind="consistency", severity="warning", field="checks", message=message,
                   found=name, check=name)


#: The registry the built-in checks, :func:`register` and :func:`imrassist.checks.check` use.
REGISTRY = Registry()


def register(name: str, *, code: str, kind: str, targets: Iterable[str], severity: str = "", description: str = "",
             replace: bool = False) -> Callable[[Callable[..., Any]], FunctionCheck]:
    """Register a check function ``fn(ctx, emit)`` in the default registry (see the module docstring)."""
    return REGISTRY.register(name, code=code, kind=kind, targets=targets, severity=severity,
                             description=description, replace=replace)


def add_check(check: Check, *, replace: bool = False) -> Check:
    """Register a :class:`Check` instance in the default registry."""
    return REGISTRY.add(check, replace=replace)


__all__ = ["Check", "CheckContext", "FunctionCheck", "Registry", "REGISTRY", "register", "add_check",
           "ENTRY_POINT_GROUP", "TARGETS", "per_call"]
