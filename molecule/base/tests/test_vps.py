"""State of the hardened VPS, read on the VPS itself."""

from __future__ import annotations

import time

testinfra_hosts = ["ansible://vps"]


def sshd_effective(host) -> dict[str, str]:
    out = host.check_output("sshd -T -C user=deploy,host=peer,addr=192.0.2.1")
    config: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        config.setdefault(key, value)
    return config


def test_sshd_effective_config_is_hardened(host) -> None:
    cfg = sshd_effective(host)
    assert cfg["permitrootlogin"] == "no"
    # cloud-init's drop-in says "PasswordAuthentication yes"; ours is read first and wins.
    assert host.file("/etc/ssh/sshd_config.d/50-cloud-init.conf").contains("PasswordAuthentication yes")
    assert cfg["passwordauthentication"] == "no"
    assert cfg["kbdinteractiveauthentication"] == "no"
    assert cfg["pubkeyauthentication"] == "yes"
    assert cfg["authenticationmethods"] == "publickey"
    assert cfg["maxauthtries"] == "3"
    assert cfg["logingracetime"] == "30"
    assert cfg["allowusers"] == "deploy"
    assert cfg["allowtcpforwarding"] == "no"
    assert cfg["x11forwarding"] == "no"
    # The post-quantum hybrids this OpenSSH knows, in the configured order, and nothing else.
    known = host.check_output("ssh -Q kex").split()
    wanted = ["mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com"]
    assert cfg["kexalgorithms"].split(",") == [kex for kex in wanted if kex in known]
    assert "sntrup761x25519-sha512@openssh.com" in cfg["kexalgorithms"].split(",")
    assert all("cbc" not in c for c in cfg["ciphers"].split(","))
    assert all(m.endswith("-etm@openssh.com") for m in cfg["macs"].split(","))


def test_sshd_dropin_is_private_and_valid(host) -> None:
    dropin = host.file("/etc/ssh/sshd_config.d/01-pdezzy-hardening.conf")
    assert dropin.user == "root"
    assert dropin.mode == 0o600
    assert host.run("sshd -t").rc == 0
    assert host.service("ssh").is_running


def test_ufw_denies_incoming_by_default_with_logging(host) -> None:
    status = host.check_output("ufw status verbose")
    assert "Status: active" in status
    assert "Default: deny (incoming), allow (outgoing)" in status
    assert "Logging: on (low)" in status
    lines = [line for line in status.splitlines() if line.startswith(("22/tcp", "80/tcp", "443/tcp"))]
    ssh = [line for line in lines if line.startswith("22/tcp")]
    assert ssh, status
    assert all("Anywhere" not in line.split("ALLOW IN")[1] for line in ssh), ssh
    assert any(line.startswith("80/tcp") and "Anywhere" in line for line in lines)
    assert any(line.startswith("443/tcp") and "Anywhere" in line for line in lines)


def test_deploy_user_has_keys_and_passwordless_sudo(host) -> None:
    user = host.user("deploy")
    assert user.exists
    assert "sudo" in user.groups
    assert user.password in ("!", "*", "!*")
    keys = host.file("/home/deploy/.ssh/authorized_keys")
    assert keys.user == "deploy"
    assert keys.content_string.startswith("ssh-ed25519 ")
    assert host.run("runuser -u deploy -- sudo -n true").rc == 0
    assert host.run("visudo -c").rc == 0


def test_sudo_uses_a_pty_and_logs_every_command(host) -> None:
    assert host.file("/etc/sudoers.d/10-pdezzy-defaults").mode == 0o440
    defaults = host.check_output("sudo -n -l -U deploy")
    assert "use_pty" in defaults
    host.check_output("runuser -u deploy -- sudo -n /usr/bin/true pdezzy-sudo-log-check")
    log = host.file("/var/log/sudo.log")
    assert "COMMAND=/usr/bin/true pdezzy-sudo-log-check" in log.content_string
    assert host.file("/etc/logrotate.d/pdezzy-sudo").contains("^/var/log/sudo.log {$")
    assert host.run("logrotate -d /etc/logrotate.d/pdezzy-sudo").rc == 0


def test_sshd_offers_only_ed25519_and_rsa_host_keys(host) -> None:
    out = host.check_output("sshd -T -C user=deploy,host=peer,addr=192.0.2.1")
    hostkeys = [line.split()[1] for line in out.splitlines() if line.startswith("hostkey ")]
    assert hostkeys == ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key"]
    assert "ecdsa" not in sshd_effective(host)["hostkeyalgorithms"]
    bits = int(host.check_output("ssh-keygen -l -f /etc/ssh/ssh_host_rsa_key.pub").split()[0])
    assert bits >= 3072


def test_no_group_exchange_modulus_below_3072_bits(host) -> None:
    sizes = {
        int(line.split()[4])
        for line in host.file("/etc/ssh/moduli").content_string.splitlines()
        if line and not line.startswith("#")
    }
    assert sizes, "the moduli file is empty"
    assert min(sizes) >= 3071  # the file gives bits - 1


def test_fail2ban_watches_sshd(host) -> None:
    assert host.service("fail2ban").is_running
    assert host.service("fail2ban").is_enabled
    status = host.check_output("fail2ban-client status sshd")
    assert "Currently banned" in status


def test_sysctl_keeps_ip_forward_for_docker(host) -> None:
    conf = host.file("/etc/sysctl.d/90-pdezzy-base.conf")
    assert conf.contains("^net.ipv4.ip_forward = 1$")
    assert conf.contains("^net.ipv4.tcp_syncookies = 1$")
    assert host.check_output("cat /proc/sys/net/ipv4/ip_forward") == "1"


def test_sysctl_values_are_applied(host) -> None:
    # Both differ from the kernel's defaults, so only the applied file sets them.
    assert host.check_output("cat /proc/sys/net/ipv4/conf/all/log_martians") == "1"
    assert host.check_output("cat /proc/sys/net/ipv4/conf/all/send_redirects") == "0"


def test_unattended_security_upgrades(host) -> None:
    dump = host.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert "codename=${distro_codename}-security" in dump
    assert host.package("unattended-upgrades").is_installed


def test_timezone(host) -> None:
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Europe/Berlin"
    assert host.file("/etc/timezone").content_string == "Europe/Berlin\n"


def test_journal_is_capped_and_journald_runs_with_it(host) -> None:
    conf = host.file("/etc/systemd/journald.conf.d/50-pdezzy.conf")
    assert conf.contains("^SystemMaxUse=500M$")
    assert conf.contains("^MaxRetentionSec=1month$")
    assert host.service("systemd-journald").is_running
    # journald was restarted after the file was written, so it runs with the cap.
    started = host.check_output('date -d "$(systemctl show -P ActiveEnterTimestamp systemd-journald)" +%s')
    written = host.check_output("stat -c %Y /etc/systemd/journald.conf.d/50-pdezzy.conf")
    assert int(started) >= int(written)


def test_a_failing_unit_calls_the_alert_command_with_its_log(host) -> None:
    unit = "pdezzy-test-fail.service"
    report = f"/var/tmp/pdezzy-alert-{unit}.txt"
    host.run(f"rm -f {report}")
    host.check_output(
        f"systemd-run --unit {unit} -p OnFailure=pdezzy-alert@{unit}.service sh -c 'echo about to fail; exit 3'"
    )
    for _ in range(40):
        if host.file(report).exists:
            break
        time.sleep(0.5)
    assert "about to fail" in host.file(report).content_string
    assert host.file("/usr/local/sbin/pdezzy-alert").mode == 0o700
