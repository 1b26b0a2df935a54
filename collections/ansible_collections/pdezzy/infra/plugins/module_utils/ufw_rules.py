"""Bring a list of UFW rules into place, asking ufw itself (``--dry-run``) which ones are missing.

ufw answers "Skipping adding existing rule" for a rule it already has, so a run that changes
nothing costs one short ufw call per rule and one module call for the whole list.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Runner = Callable[[Sequence[str]], "tuple[int, str, str]"]

ACTIONS = ("allow", "deny", "reject", "limit")
PROTOS = ("tcp", "udp", "any")
PORT_RE = re.compile(r"^\d{1,5}(:\d{1,5})?$")
EXISTING = "Skipping adding existing rule"


class UfwRulesError(Exception):
    """A rule that cannot be expressed, or that ufw refused."""


@dataclass(frozen=True)
class Rule:
    rule: str = "allow"
    port: str | None = None
    proto: str = "tcp"
    from_ip: str = "any"
    comment: str | None = None

    def label(self) -> str:
        """Short description for messages: ``allow 22/tcp from 10.0.0.0/8``."""
        where = f"{self.port}/{self.proto}" if self.port else f"all/{self.proto}"
        return f"{self.rule} {where} from {self.from_ip}"


def check_rule(rule: Rule) -> None:
    """Refuse what ufw would refuse, with the rule named in the message."""
    if rule.rule not in ACTIONS:
        raise UfwRulesError(f"{rule.label()}: rule must be one of {', '.join(ACTIONS)}")
    if rule.proto not in PROTOS:
        raise UfwRulesError(f"{rule.label()}: proto must be one of {', '.join(PROTOS)}")
    if rule.port is not None:
        if not PORT_RE.match(rule.port) or not all(1 <= int(p) <= 65535 for p in rule.port.split(":")):
            raise UfwRulesError(f"{rule.label()}: port must be a number 1-65535 or a range such as 6000:6010")
        if ":" in rule.port and rule.proto == "any":
            raise UfwRulesError(f"{rule.label()}: a port range needs proto tcp or udp")
    if rule.from_ip != "any":
        try:
            ipaddress.ip_network(rule.from_ip, strict=False)
        except ValueError as exc:
            raise UfwRulesError(f"{rule.label()}: from_ip is not an address or network") from exc
    if rule.comment is not None and ("'" in rule.comment or "\n" in rule.comment):
        raise UfwRulesError(f"{rule.label()}: comment must be one line without single quotes")


def ufw_args(rule: Rule) -> list[str]:
    """The ufw arguments of a rule in the extended syntax (without ``ufw`` and ``--dry-run``)."""
    args = [rule.rule]
    if rule.proto != "any":
        args += ["proto", rule.proto]
    args += ["from", rule.from_ip, "to", "any"]
    if rule.port is not None:
        args += ["port", rule.port]
    if rule.comment:
        args += ["comment", rule.comment]
    return args


def is_present(dry_run_output: str) -> bool:
    """True when ufw's dry run says it already has the rule (for IPv4 and, when asked, IPv6)."""
    lines = [line.strip() for line in dry_run_output.splitlines() if line.strip()]
    return bool(lines) and all(line.startswith(EXISTING) for line in lines)


def converge(rules: Sequence[Rule], *, check: bool, run: Runner, ufw: str = "ufw") -> dict[str, object]:
    """Add every missing rule, in order; rules ufw already has are left alone."""
    for rule in rules:
        check_rule(rule)
    added: list[str] = []
    for rule in rules:
        rc, out, err = run([ufw, "--dry-run", *ufw_args(rule)])
        if rc != 0:
            raise UfwRulesError(f"{rule.label()}: ufw refused the rule: {(err or out).strip()}")
        if is_present(out):
            continue
        added.append(rule.label())
        if not check:
            rc, out, err = run([ufw, *ufw_args(rule)])
            if rc != 0:
                raise UfwRulesError(f"{rule.label()}: ufw could not add the rule: {(err or out).strip()}")
    return {"changed": bool(added), "added": added}
