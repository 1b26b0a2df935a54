"""Bring a list of UFW rules into place, asking ufw itself (``--dry-run``) which ones are missing.

ufw answers "Skipping adding existing rule" for a rule it already has, so a run that changes
nothing costs one short ufw call per rule and one module call for the whole list. Rules of a
previous list are found by their comment's prefix in ufw's rule files (``### tuple ###`` lines)
and deleted when the list no longer has them; other rules are left alone.
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


_ANY = ("0.0.0.0/0", "::/0", "any")


def parse_tuple(line: str) -> Rule | None:
    """The rule of one ``### tuple ###`` line of ufw's rule files, or None for a form this module
    does not write (applications, interfaces, outgoing rules, a destination address)."""
    if not line.startswith("### tuple ###"):
        return None
    fields = line[len("### tuple ###") :].split()
    if len(fields) < 7:
        return None
    action, proto, dport, dst, sport, src, direction = fields[:7]
    extras = fields[7:]
    if direction != "in" or sport != "any" or dst not in _ANY or action not in ACTIONS or proto not in PROTOS:
        return None
    comment = None
    for extra in extras:
        if not extra.startswith("comment="):
            return None
        try:
            comment = bytes.fromhex(extra[len("comment=") :]).decode()
        except ValueError:
            return None
    port = None if dport == "any" else dport
    return Rule(rule=action, port=port, proto=proto, from_ip="any" if src in _ANY else src, comment=comment)


def _identity(rule: Rule) -> tuple[str, str | None, str, str]:
    """What makes two rules the same rule to ufw (the comment aside)."""
    source = "any" if rule.from_ip in _ANY else str(ipaddress.ip_network(rule.from_ip, strict=False))
    return (rule.rule, rule.port, rule.proto, source)


def stale(rules: Sequence[Rule], rule_files: Sequence[str], prefix: str) -> list[Rule]:
    """The rules in ``rule_files`` (the text of user.rules, user6.rules) whose comment starts with
    ``prefix`` and that ``rules`` no longer has, each once (IPv4 and IPv6 copies are one rule)."""
    wanted = {_identity(rule) for rule in rules}
    found: dict[tuple[str, str | None, str, str], Rule] = {}
    for text in rule_files:
        for line in text.splitlines():
            rule = parse_tuple(line.strip())
            if rule and (rule.comment or "").startswith(prefix) and _identity(rule) not in wanted:
                found.setdefault(_identity(rule), rule)
    return list(found.values())


def converge(
    rules: Sequence[Rule],
    *,
    check: bool,
    run: Runner,
    ufw: str = "ufw",
    purge_prefix: str | None = None,
    rule_files: Sequence[str] = (),
) -> dict[str, object]:
    """Add every missing rule, in order; rules ufw already has are left alone. With
    ``purge_prefix``, first delete the rules of ``rule_files`` that carry the prefix in their
    comment and are not in ``rules`` (deleting before adding: a rule that moves never exists twice)."""
    for rule in rules:
        check_rule(rule)
    if purge_prefix is not None:
        unowned = [rule.label() for rule in rules if not (rule.comment or "").startswith(purge_prefix)]
        if unowned:
            raise UfwRulesError(
                f"{', '.join(unowned)}: the comment must start with {purge_prefix!r}, or a later run could not "
                "remove the rule"
            )
    removed: list[str] = []
    for rule in stale(rules, rule_files, purge_prefix) if purge_prefix is not None else []:
        removed.append(rule.label())
        if not check:
            rc, out, err = run([ufw, "delete", *ufw_args(Rule(rule.rule, rule.port, rule.proto, rule.from_ip))])
            if rc != 0:
                raise UfwRulesError(f"{rule.label()}: ufw could not delete the rule: {(err or out).strip()}")
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
    return {"changed": bool(added or removed), "added": added, "removed": removed}
