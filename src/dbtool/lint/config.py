"""Per-service lint settings from `[services.NAME.lint]` in dbtool.toml.

```toml
[services.studio.lint]
enable = ["CV103", "CV104", "CV105"]      # opt-in convention rules
disable = ["PG101"]                       # rules that never run here
severity = { PG108 = "error", DL105 = "info", BC102 = "off" }
exposed_schemas = ["public"]              # CV104: schemas the API exposes
```

Unknown keys, codes and severities are configuration errors (exit 2), so a typo
cannot silently switch a rule off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbtool.errors import ConfigError, SourceLocation
from dbtool.lint.framework import Rule, Severity, all_rules
from dbtool.sql.dialects import Dialect

_KEYS = {"enable", "disable", "severity", "exposed_schemas"}
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "off": None}


@dataclass(frozen=True)
class LintConfig:
    """Which rules run and at what severity, for one service (or one ad-hoc path)."""

    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    exposed_schemas: tuple[str, ...] = ("public",)

    def runs(self, rule: Rule, dialect: Dialect) -> bool:
        """Whether `rule` runs for `dialect` under this configuration."""
        if not rule.applies_to(dialect) or rule.code in self.disable:
            return False
        if rule.opt_in and rule.code not in self.enable:
            return False
        return self.severity.get(rule.code, Severity.ERROR) is not None

    def severity_of(self, rule: Rule, dialect: Dialect, proposed: Severity | None = None) -> Severity:
        """Configured severity, else the finding's own, else the rule's default for the dialect."""
        configured = self.severity.get(rule.code)
        return configured or proposed or rule.severity_for(dialect)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "[lint]",
                     location: SourceLocation | None = None,
                     exposed_schemas: tuple[str, ...] = ("public",)) -> LintConfig:
        """Validate a `[services.X.lint]` table."""
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r} in {where}", location=location,
                              hint=f"allowed keys: {', '.join(sorted(_KEYS))}")
        known = all_rules()
        enable = _codes(data.get("enable", []), f"{where} enable", known, location)
        disable = _codes(data.get("disable", []), f"{where} disable", known, location)
        severity = _severities(data.get("severity", {}), where, known, location)
        schemas = data.get("exposed_schemas", list(exposed_schemas))
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise ConfigError(f"{where} exposed_schemas must be a list of schema names",
                              location=location, hint='e.g. exposed_schemas = ["public"]')
        return cls(frozenset(enable), frozenset(disable), severity, tuple(schemas))

    @classmethod
    def for_service(cls, service: Any) -> LintConfig:
        """The lint configuration of a configured service (dbtool.config.Service)."""
        where = f"[services.{service.name}.lint]"
        return cls.from_mapping(service.lint or {}, where=where,
                                exposed_schemas=tuple(service.schemas))

    @classmethod
    def everything(cls) -> LintConfig:
        """Every rule on, opt-in conventions included (for tests and `--enable-all`)."""
        return cls(enable=frozenset(all_rules()))


def _codes(value: Any, where: str, known: Mapping[str, type[Rule]],
           location: SourceLocation | None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of rule codes", location=location,
                          hint='e.g. enable = ["CV101", "CV103"]')
    for code in value:
        _known(code, where, known, location)
    return list(value)


def _severities(value: Any, where: str, known: Mapping[str, type[Rule]],
                location: SourceLocation | None) -> dict[str, Severity | None]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} severity must be a table of CODE = \"level\"", location=location,
                          hint='e.g. severity = { PG101 = "warning" }')
    levels: dict[str, Severity | None] = {}
    for code, level in value.items():
        _known(code, f"{where} severity", known, location)
        if level not in _LEVELS:
            raise ConfigError(f"{where} severity of {code} must be error, warning, info or off, "
                              f"got {level!r}", location=location,
                              hint=f'e.g. severity = {{ {code} = "warning" }}')
        levels[code] = _LEVELS[level]
    return levels


def _known(code: str, where: str, known: Mapping[str, type[Rule]],
           location: SourceLocation | None) -> None:
    if code not in known:
        raise ConfigError(f"unknown lint rule {code!r} in {where}", location=location,
                          hint="`dbtool lint --rules` lists every code (see docs/lint.md)")
